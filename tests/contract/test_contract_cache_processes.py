"""Two processes sharing one Redis: an invalidation in either reaches the other's L1 (the other
process is a real one, tests/contract/cache_peer.py, with Redis connections of its own)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from adapters.cache.clock import SystemMonotonicClock
from adapters.cache.layered import LayeredCache
from adapters.system.clock import SystemClock
from application.ports.cache import CachePolicy
from cache_support import client, redis_prefix, wait_until

pytestmark = pytest.mark.redis
POLICY = CachePolicy(ttl=600, tags=("shared",))
TESTS = Path(__file__).resolve().parents[1]
DEADLINE = 10.0


class Peer:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def ask(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()
        return (await asyncio.wait_for(self.process.stdout.readline(), DEADLINE)).decode().strip()

    async def holds(self, key: str) -> bool:
        return await self.ask(f"cached {key}") == "cached True"


@asynccontextmanager
async def _peer(prefix: str) -> AsyncIterator[Peer]:
    source = TESTS.parent / "src"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), str(TESTS)])}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(TESTS / "contract" / "cache_peer.py"),
        prefix,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=environment,
    )
    peer = Peer(process)
    try:
        assert process.stdout is not None
        assert (await asyncio.wait_for(process.stdout.readline(), DEADLINE)).strip() == b"ready"
        yield peer
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.write(b"quit\n")
            await process.stdin.drain()
            try:
                await asyncio.wait_for(process.wait(), DEADLINE)
            except TimeoutError:
                process.kill()
                await process.wait()


async def test_an_invalidation_in_one_process_reaches_the_other_l1() -> None:
    async with redis_prefix() as (_, prefix):
        redis = client()
        here = LayeredCache(redis, prefix=prefix, clock=SystemClock(), monotonic=SystemMonotonicClock())
        here.start()
        try:
            await wait_until(lambda: here.listener.connected, what="the invalidation channel")
            async with _peer(prefix) as peer:
                assert await peer.ask("load k") == "value peer-1"
                assert await peer.holds("k")

                async def never() -> str:
                    raise AssertionError("the peer's value is in Redis")

                assert await here.get_or_load("k", never, POLICY, returns=str) == "peer-1"
                await here.invalidate_tags("shared")
                await _eventually_not_held(peer, "k")
                assert await peer.ask("load k") == "value peer-2"

                async def mine() -> str:
                    return "here-1"

                assert await here.get_or_load("k", mine, POLICY, returns=str) == "peer-2"
                assert await peer.ask("invalidate shared") == "done"
                await wait_until(
                    lambda: here._local.get("k", time.monotonic()) is None, what="the peer's invalidation"
                )
                assert await here.get_or_load("k", mine, POLICY, returns=str) == "here-1"
        finally:
            await here.close()
            await redis.aclose()


async def _eventually_not_held(peer: Peer, key: str) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + DEADLINE
    while await peer.holds(key):
        if loop.time() > give_up:
            pytest.fail("the peer still holds the invalidated value")

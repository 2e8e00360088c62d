"""Another process sharing the cache: a LayeredCache on its own Redis connections, driven line by
line on stdin (``load KEY``, ``cached KEY``, ``invalidate TAG``, ``quit``), answering on stdout.
Run by test_contract_cache_processes.py as ``python cache_peer.py PREFIX``."""

from __future__ import annotations

import asyncio
import sys
import time

from adapters.cache.clock import SystemMonotonicClock
from adapters.cache.layered import LayeredCache
from adapters.system.clock import SystemClock
from application.ports.cache import CachePolicy
from cache_support import client, wait_until

POLICY = CachePolicy(ttl=600, tags=("shared",))


async def main(prefix: str) -> None:
    redis = client(timeout=1.0)
    cache = LayeredCache(redis, prefix=prefix, clock=SystemClock(), monotonic=SystemMonotonicClock())
    cache.start()
    await wait_until(lambda: cache.listener.connected, what="the invalidation channel")
    loads = 0

    async def loader() -> str:
        nonlocal loads
        loads += 1
        return f"peer-{loads}"

    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command, _, argument = line.strip().partition(" ")
        if command == "load":
            value = await cache.get_or_load(argument, loader, POLICY, returns=str)
            print(f"value {value}", flush=True)
        elif command == "cached":
            print(f"cached {cache._local.get(argument, time.monotonic()) is not None}", flush=True)
        elif command == "invalidate":
            await cache.invalidate_tags(argument)
            print("done", flush=True)
        else:
            break
    await cache.close()
    await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

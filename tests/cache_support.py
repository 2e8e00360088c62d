"""What the cache tests share: the real Redis (TEST_REDIS_URL), a key prefix per test, a clock the
test moves, waiting on a condition with a deadline, and a TCP fault proxy in front of Redis."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from redis.asyncio import Redis

from adapters.cache.redis import cache_client
from application.ports.clock import Clock, MonotonicClock

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)


def redis_address() -> tuple[str, int, int]:
    url = urlparse(redis_url())
    return url.hostname or "127.0.0.1", url.port or 6379, int((url.path or "/0").lstrip("/") or 0)


def client(*, port: int | None = None, timeout: float = 2.0, max_connections: int = 16) -> Redis:
    """A client as the application makes them (no retries, bounded waits), optionally through
    a proxy listening on ``port``."""
    host, real_port, db = redis_address()
    return cache_client(
        host=host,
        port=port or real_port,
        db=db,
        password="",
        timeout=timeout,
        max_connections=max_connections,
    )


async def reachable_redis() -> Redis:
    """A client of the test Redis; skips (fails under CI=true) when it does not answer."""
    redis = client()
    try:
        await redis.ping()
    except Exception as exc:
        await redis.aclose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    return redis


def new_prefix() -> str:
    return f"test-cache-{uuid.uuid4().hex}"


async def delete_prefixed(redis: Redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(f"{prefix}:*", count=1000)]
    for start in range(0, len(keys), 500):
        await redis.delete(*keys[start : start + 500])


@dataclass(frozen=True)
class SharedRedis:
    client: Redis
    prefix: str
    settings: dict[str, str]  # CACHE_* (and the extras) pointing an app at it, under ``prefix``


@contextlib.asynccontextmanager
async def shared_redis(**extra: str) -> AsyncIterator[SharedRedis]:
    """The test Redis for production-profile apps, under a key prefix of the test's own, whose
    keys (cache, rate limits, codes) are deleted afterwards. Skips as ``reachable_redis``."""
    redis = await reachable_redis()
    prefix = new_prefix()
    host, port, db = redis_address()
    settings = {"CACHE_HOST": host, "CACHE_PORT": str(port), "CACHE_DB": str(db), "CACHE_KEY_PREFIX": prefix}
    try:
        yield SharedRedis(redis, prefix, {**settings, **extra})
    finally:
        await delete_prefixed(redis, prefix)
        await redis.aclose()


@contextlib.asynccontextmanager
async def redis_prefix() -> AsyncIterator[tuple[Redis, str]]:
    """The test Redis and a prefix of the test's own; its keys are deleted afterwards."""
    redis = await reachable_redis()
    prefix = new_prefix()
    try:
        yield redis, prefix
    finally:
        await delete_prefixed(redis, prefix)
        await redis.aclose()


class ManualTime(Clock, MonotonicClock):
    """Wall and monotonic time that move only when the test says so."""

    def __init__(self) -> None:
        self.wall = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


async def wait_until(
    condition: Callable[[], bool], *, deadline: float = 10.0, what: str = "condition"
) -> None:
    """Yield to the loop until ``condition()`` holds; fail after ``deadline`` seconds."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    while not condition():
        if loop.time() > give_up:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


class FaultProxy:
    """A TCP proxy in front of the real Redis that a test can freeze (bytes held, connections
    open: a SIGSTOPped server), drop (every connection cut) or make refuse connections, without
    touching the shared Redis server itself."""

    def __init__(self) -> None:
        self.host, self.target_port, _ = redis_address()
        self.port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def drop(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.drop()

    async def accept(self) -> None:
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        self.thaw()
        await self.refuse()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        for each in (writer, up_writer):
            self._writers.discard(each)
            each.transport.abort()

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            await self._flowing.wait()  # frozen: hold the bytes, like a stopped server
            sink.write(data)
            await sink.drain()
        sink.transport.abort()


class Source:
    """A loader that counts its calls and answers a fresh copy of ``value`` each time (as a
    repository does); ``gate`` holds it until set, ``error`` makes it fail."""

    def __init__(self, value: object = None) -> None:
        self.value = value
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.error: Exception | None = None

    async def __call__(self) -> object:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return copy.deepcopy(self.value)

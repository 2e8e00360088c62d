"""The layered cache when Redis misbehaves, through a TCP fault proxy in front of the real Redis
(the shared server itself is never stopped): frozen, refusing, cutting connections. Nothing
raises, nothing hangs past its deadline, the breaker opens and closes, L1 is dropped when the
invalidation channel is lost, and invalidations Redis missed are delivered first when it is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from adapters.cache.breaker import CircuitBreaker
from adapters.cache.layered import LayeredCache
from adapters.cache.options import CacheOptions
from application.ports.cache import CachePolicy
from cache_support import FaultProxy, ManualTime, Source, client, redis_prefix, wait_until
from domain.clinics import Clinic

pytestmark = pytest.mark.redis
POLICY = CachePolicy(ttl=60, stale_time=30, tags=("clinic:a",))
DEADLINE = 10.0  # a call that takes this long hung: the test fails instead of waiting forever


@asynccontextmanager
async def layered(
    prefix: str, time: ManualTime, *, port: int | None = None, lock_wait: float = 0.25
) -> AsyncIterator[LayeredCache]:
    redis = client(port=port, timeout=0.2)
    breaker = CircuitBreaker(time, failures=3, window=10, reset_after=5)
    cache = LayeredCache(
        redis,
        prefix=prefix,
        clock=time,
        monotonic=time,
        breaker=breaker,
        timeout=0.2,
        ping_interval=0.2,
        options=CacheOptions(lock_wait_seconds=lock_wait),
    )
    cache.start()
    try:
        await wait_until(lambda: cache.listener.connected, what="the invalidation channel")
        yield cache
    finally:
        await cache.close()
        await redis.aclose()


@pytest.fixture
async def proxy() -> AsyncIterator[FaultProxy]:
    running = await FaultProxy().start()
    yield running
    await running.close()


async def read(cache: LayeredCache, key: str, source: Source, policy: CachePolicy = POLICY) -> Clinic | None:
    async with asyncio.timeout(DEADLINE):
        return await cache.get_or_load(key, source, policy, returns=Clinic)


async def test_a_frozen_redis_never_hangs_a_read_and_trips_the_breaker(proxy: FaultProxy, build) -> None:
    time = ManualTime()
    async with redis_prefix() as (_, prefix), layered(prefix, time, port=proxy.port) as cache:
        proxy.freeze()
        sources = [Source(build.clinic()) for _ in range(6)]
        for i, source in enumerate(sources):
            assert await read(cache, f"k{i}", source) == source.value  # the loader serves
        stats = cache.stats()
        assert stats.breaker_state == "open" and stats.breaker_opened == 1
        assert stats.l2_errors == 1  # after one timeout Redis is not even asked
        time.advance(5)
        proxy.thaw()
        await read(cache, "probe", Source(build.clinic()))
        assert cache.stats().breaker_state == "closed"


async def test_a_refusing_redis_is_skipped_and_a_stale_value_outlives_a_failing_loader(
    proxy: FaultProxy, build
) -> None:
    time = ManualTime()
    async with redis_prefix() as (_, prefix), layered(prefix, time, port=proxy.port) as cache:
        await proxy.refuse()
        await wait_until(lambda: not cache.listener.connected, what="the channel to be lost")
        short = CachePolicy(ttl=4, stale_time=2, tags=("clinic:a",))
        source = Source(build.clinic(name="Kept"))
        for key in ("k", "k", "other", "another", "k"):
            assert (await read(cache, key, source, short)).name == "Kept"
        assert source.calls == 3 and cache.stats().breaker_state == "open"
        time.advance(3)
        source.error = RuntimeError("database down too")
        assert (await read(cache, "k", source, short)).name == "Kept"  # stale, not an error
        await wait_until(lambda: cache.stats().refresh_failures == 1, what="the failed refresh")


async def test_a_lost_invalidation_channel_drops_l1(proxy: FaultProxy, build) -> None:
    time = ManualTime()
    async with redis_prefix() as (_, prefix), layered(prefix, time, port=proxy.port) as cache:
        source = Source(build.clinic())
        await read(cache, "k", source)
        await read(cache, "k", source)
        assert cache.stats().l1_hits == 1
        proxy.drop()  # every connection cut; new ones are accepted again
        await wait_until(lambda: cache.listener.subscriptions == 2, what="the channel to come back")
        assert cache.stats().l1_drops >= 1
        await read(cache, "k", source)
        assert cache.stats().l1_hits == 1 and cache.stats().l2_hits == 1 and source.calls == 1


async def test_invalidations_redis_missed_are_delivered_before_it_serves_again(
    proxy: FaultProxy, build
) -> None:
    time = ManualTime()
    async with (
        redis_prefix() as (_, prefix),
        layered(prefix, time, port=proxy.port) as writer,
        layered(prefix, time) as reader,
    ):
        source = Source(build.clinic(name="Old"))
        await read(reader, "k", source)
        await proxy.refuse()
        await writer.invalidate_tags("clinic:a")  # Redis is unreachable from the writer
        source.value.name = "New"
        assert (await read(reader, "k", source)).name == "Old"
        await proxy.accept()
        time.advance(5)
        await read(writer, "unrelated", Source(build.clinic()))  # its first call delivers the debt
        await wait_until(lambda: reader._local.get("k", time.monotonic()) is None, what="the invalidation")
        assert (await read(reader, "k", source)).name == "New"


async def test_two_processes_missing_one_key_run_one_loader(build) -> None:
    time = ManualTime()
    async with (
        redis_prefix() as (_, prefix),
        layered(prefix, time, lock_wait=DEADLINE) as first,
        layered(prefix, time, lock_wait=DEADLINE) as second,
    ):
        first_source, second_source = Source(build.clinic()), Source(build.clinic())
        first_source.gate = asyncio.Event()
        loading = asyncio.create_task(read(first, "k", first_source))
        await wait_until(lambda: first_source.calls == 1, what="the first loader")
        waiting = asyncio.create_task(read(second, "k", second_source))
        await wait_until(lambda: second.stats().lock_waits == 1, what="the second to wait on the lock")
        first_source.gate.set()
        assert await loading == await waiting == first_source.value
        assert second_source.calls == 0

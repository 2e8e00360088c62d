"""What the shared layer costs and what never reaches it, on the real Redis: an L2 hit is one round
trip (counted on the client's connection), a miss a bounded few; a sensitive value without a
cipher and a restricted one never leave the process; a background refresh that finds nothing
stops the stale value being served, here and in every process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import Connection

from adapters.cache.layered import LayeredCache
from adapters.cache.local import MemoryCache
from adapters.cache.redis import RedisCache
from adapters.cache.tiered import TieredCache
from adapters.crypto.field_cipher import AesGcmFieldCipher
from application.ports.cache import CachePolicy, Compliance
from cache_support import ManualTime, Source, client, redis_address, redis_prefix, wait_until
from domain.clinics import Clinic

CIPHER = AesGcmFieldCipher("t1", {"t1": bytes(range(32))})
POLICY = CachePolicy(ttl=60, stale_time=30, tags=("clinic:a", "clinic:b"))


class CountingConnection(Connection):
    """Counts what it writes to the server: one write per command sent, or per pipeline."""

    writes = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.writes += 1
        await super().send_packed_command(command, check_health)


def counting_client() -> Redis:
    host, port, db = redis_address()
    pool = BlockingConnectionPool(
        host=host,
        port=port,
        db=db,
        connection_class=CountingConnection,
        max_connections=1,
        timeout=2.0,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
    )
    return Redis.from_pool(pool)


@pytest.mark.redis
async def test_an_l2_hit_is_one_round_trip(build) -> None:
    async with redis_prefix() as (_, prefix):
        redis = counting_client()
        time = ManualTime()
        cache = RedisCache(redis, prefix=prefix, clock=time, monotonic=time, cipher=CIPHER)
        try:
            source = Source(build.clinic())
            await cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)  # connects, loads
            CountingConnection.writes = 0
            await cache.get_or_load("clinic:2", Source(build.clinic()), POLICY, returns=Clinic)
            assert CountingConnection.writes <= 3  # lookup, lock, then entry and unlock in one pipeline
            for sensitive in (False, True):
                policy = CachePolicy(
                    ttl=60,
                    tags=POLICY.tags,
                    compliance=Compliance.SENSITIVE if sensitive else Compliance.STANDARD,
                )
                key = f"clinic:{3 + sensitive}"
                await cache.get_or_load(key, source, policy, returns=Clinic)
                CountingConnection.writes = 0
                assert await cache.get_or_load(key, source, policy, returns=Clinic) == source.value
                assert CountingConnection.writes == 1  # the entry and its two tags' versions: one MGET
            assert cache.stats().l2_hits == 2
        finally:
            await cache.close()
            await redis.aclose()


@pytest.fixture
async def layered_without_cipher() -> AsyncIterator[tuple[LayeredCache, Redis, str]]:
    async with redis_prefix() as (redis, prefix):
        app_client = client()
        time = ManualTime()
        cache = LayeredCache(app_client, prefix=prefix, clock=time, monotonic=time, cipher=None)
        cache.start()
        await wait_until(lambda: cache.listener.connected, what="the invalidation channel")
        try:
            yield cache, redis, prefix
        finally:
            await cache.close()
            await app_client.aclose()


@pytest.mark.redis
async def test_phi_without_a_cipher_and_restricted_values_stay_in_the_process(
    layered_without_cipher: tuple[LayeredCache, Redis, str], build
) -> None:
    cache, redis, prefix = layered_without_cipher
    for compliance in (Compliance.SENSITIVE, Compliance.RESTRICTED):
        source = Source(build.clinic(name="Maria Sensitive"))
        policy = CachePolicy(ttl=60, compliance=compliance)
        key = f"patient:{compliance.value}"
        assert await cache.get_or_load(key, source, policy, returns=Clinic) == source.value
        assert await cache.get_or_load(key, source, policy, returns=Clinic) == source.value
        assert source.calls == 1  # kept in L1
    keys = [key async for key in redis.scan_iter(f"{prefix}:*", count=1000)]
    assert not any(b"patient:" in key for key in keys)
    assert cache.stats().l1_hits == 2


def _subjects() -> list[Any]:
    return ["memory", pytest.param("layered", marks=pytest.mark.redis)]


@pytest.fixture(params=_subjects())
async def two(request: pytest.FixtureRequest) -> AsyncIterator[tuple[TieredCache, TieredCache, ManualTime]]:
    """Two processes' caches (or one, for the memory adapter) on one clock."""
    time = ManualTime()
    if request.param == "memory":
        cache = MemoryCache(clock=time, monotonic=time)
        yield cache, cache, time
        await cache.close()
        return
    async with redis_prefix() as (_, prefix):
        clients = [client(), client()]
        caches = [LayeredCache(c, prefix=prefix, clock=time, monotonic=time, cipher=CIPHER) for c in clients]
        for cache in caches:
            cache.start()
        try:
            await wait_until(lambda: all(c.listener.connected for c in caches), what="both subscribed")
            yield caches[0], caches[1], time
        finally:
            for cache, each in zip(caches, clients, strict=True):
                await cache.close()
                await each.aclose()


async def test_a_refresh_that_finds_nothing_stops_the_stale_value(
    two: tuple[TieredCache, TieredCache, ManualTime], build
) -> None:
    here, there, time = two
    source = Source(build.clinic(name="Deleted later"))
    await here.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    await there.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    time.advance(31)
    source.value = None  # deleted at its source, by a write that named no tag of this entry
    assert (await here.get_or_load("clinic:1", source, POLICY, returns=Clinic)).name == "Deleted later"
    await wait_until(lambda: here.stats().refreshes == 1 and not here._filling.refresher.running)
    assert await here.get_or_load("clinic:1", source, POLICY, returns=Clinic) is None
    await wait_until(
        lambda: there._local is None or there._local.get("clinic:1", time.monotonic()) is None,
        what="the other process to forget it",
    )
    assert await there.get_or_load("clinic:1", source, POLICY, returns=Clinic) is None

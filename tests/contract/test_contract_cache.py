"""The Cache port's contract, on every adapter: MemoryCache (L1), RedisCache (L2 on the real Redis)
and LayeredCache (both). Time is the test's (ManualTime); Redis keys live under a prefix of the
test's own and are deleted afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import msgspec
import pytest
from redis.asyncio import Redis

from adapters.cache.codec import COMPRESSED, ENCRYPTED
from adapters.cache.layered import LayeredCache
from adapters.cache.local import MemoryCache
from adapters.cache.redis import RedisCache
from adapters.cache.redis_layer import RemoteEntry
from adapters.cache.tiered import TieredCache
from adapters.crypto.field_cipher import AesGcmFieldCipher
from application.pagination import Page
from application.ports.cache import REALTIME, CachePolicy, Compliance
from cache_support import ManualTime, Source, client, redis_prefix, wait_until
from domain.clinics import Clinic, ClinicLocation
from domain.identity import User

CIPHER = AesGcmFieldCipher("t1", {"t1": bytes(range(32))})
POLICY = CachePolicy(ttl=60, stale_time=30, tags=("clinic:a",))
ADAPTERS = [
    "memory",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("layered", marks=pytest.mark.redis),
]


@dataclass
class Subject:
    kind: str
    cache: TieredCache
    time: ManualTime
    redis: Redis | None = None
    prefix: str = ""

    @property
    def shared(self) -> bool:
        return self.redis is not None

    @property
    def in_process(self) -> bool:
        return self.kind != "redis"

    async def stored(self, key: str) -> RemoteEntry | None:
        assert self.redis is not None
        # an entry's key carries the hash tag {<key>} (one cluster slot with its loader lock)
        raw = await self.redis.get(f"{self.prefix}:e:{{{key}}}")
        return None if raw is None else msgspec.msgpack.decode(raw, type=RemoteEntry)


@pytest.fixture(params=ADAPTERS)
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    time = ManualTime()
    if request.param == "memory":
        cache = MemoryCache(clock=time, monotonic=time)
        yield Subject("memory", cache, time)
        await cache.close()
        return
    async with redis_prefix() as (redis, prefix):
        app_client = client()
        shared: TieredCache
        if request.param == "redis":
            shared = RedisCache(app_client, prefix=prefix, clock=time, monotonic=time, cipher=CIPHER)
        else:
            layered = LayeredCache(app_client, prefix=prefix, clock=time, monotonic=time, cipher=CIPHER)
            layered.start()
            await wait_until(lambda: layered.listener.connected, what="the invalidation channel")
            shared = layered
        try:
            yield Subject(request.param, shared, time, redis, prefix)
        finally:
            await shared.close()
            await app_client.aclose()


async def test_a_miss_loads_once_then_hits(subject: Subject, build) -> None:
    source = Source(build.clinic())
    first = await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    second = await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    assert first == second == source.value and source.calls == 1
    stats = subject.cache.stats()
    assert stats.misses == 1 and stats.l1_hits + stats.l2_hits == 1


async def test_callers_never_share_a_mutable_value(subject: Subject, build) -> None:
    source = Source(build.clinic(name="Harbour"))
    mine = await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    mine.name = "Changed by one caller"
    theirs = await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    assert theirs.name == "Harbour" and theirs is not mine and source.calls == 1


async def test_nothing_found_is_answered_and_never_cached(subject: Subject) -> None:
    source = Source(None)
    assert await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic) is None
    assert await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic) is None
    assert source.calls == 2


async def test_loader_errors_reach_the_caller_and_are_not_cached(subject: Subject, build) -> None:
    source = Source(build.clinic())
    source.error = RuntimeError("database down")
    with pytest.raises(RuntimeError):
        await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    source.error = None
    assert await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic) == source.value
    assert subject.cache.stats().loader_errors == 1


async def test_a_thousand_concurrent_misses_run_one_loader(subject: Subject, build) -> None:
    source = Source(build.clinic())
    source.gate = asyncio.Event()
    started = 0

    async def read() -> Clinic | None:
        nonlocal started
        started += 1
        return await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)

    readers = [asyncio.create_task(read()) for _ in range(1000)]
    await wait_until(lambda: started == 1000 and source.calls == 1, what="every reader waiting")
    source.gate.set()
    results = await asyncio.gather(*readers)
    assert source.calls == 1
    assert all(r == source.value for r in results) and len({id(r) for r in results}) == 1000


async def test_a_tag_drops_every_value_carrying_it_and_no_other(subject: Subject, build) -> None:
    sources = {f"k{i}": Source(build.clinic()) for i in range(50)}
    other = Source(build.clinic())
    for key, source in sources.items():
        await subject.cache.get_or_load(key, source, POLICY, returns=Clinic)
    elsewhere = POLICY.tagged("clinic:b")
    await subject.cache.get_or_load("other", other, elsewhere, returns=Clinic)

    await subject.cache.invalidate_tags("clinic:a")

    if subject.shared:  # O(1): a new tag version, no entry touched; they are just never served
        assert await subject.stored("k0") is not None
    for key, source in sources.items():
        await subject.cache.get_or_load(key, source, POLICY, returns=Clinic)
    await subject.cache.get_or_load("other", other, elsewhere, returns=Clinic)
    assert {s.calls for s in sources.values()} == {2} and other.calls == 1


async def test_an_invalidation_during_a_load_is_not_lost(subject: Subject, build) -> None:
    source = Source(build.clinic(name="Before"))
    source.gate = asyncio.Event()
    reading = asyncio.create_task(subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic))
    await wait_until(lambda: source.calls == 1, what="the load to start")
    await subject.cache.invalidate_tags("clinic:a")  # a write committed while the old row was read
    source.gate.set()
    assert (await reading).name == "Before"
    source.value.name = "After"
    assert (await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)).name == "After"


async def test_set_get_and_delete(subject: Subject, build) -> None:
    clinic = build.clinic()
    assert await subject.cache.get("clinic:1", returns=Clinic) is None
    await subject.cache.set("clinic:1", clinic, POLICY)
    assert await subject.cache.get("clinic:1", returns=Clinic) == clinic
    await subject.cache.delete("clinic:1")
    assert await subject.cache.get("clinic:1", returns=Clinic) is None
    source = Source(clinic)
    await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    assert source.calls == 1


async def test_fresh_then_stale_while_refreshing_then_expired(subject: Subject, build) -> None:
    source = Source(build.clinic(name="v1"))
    await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    subject.time.advance(31)
    source.value.name = "v2"
    source.gate = asyncio.Event()  # the refresh cannot finish: the stale value must not wait for it
    stale = await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    assert stale.name == "v1" and subject.cache.stats().stale_served == 1
    await wait_until(lambda: source.calls == 2, what="one background refresh")
    assert (await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)).name == "v1"
    assert source.calls == 2  # one refresh at a time
    source.gate.set()
    await wait_until(lambda: subject.cache.stats().refreshes == 1 and not _refreshing(subject))
    assert (await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)).name == "v2"
    subject.time.advance(61)
    source.value.name = "v3"
    assert (await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)).name == "v3"
    assert source.calls == 3


async def test_a_failed_refresh_keeps_the_stale_value_until_its_ttl(subject: Subject, build) -> None:
    source = Source(build.clinic(name="v1"))
    await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    subject.time.advance(31)
    source.error = RuntimeError("database down")
    assert (await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)).name == "v1"
    await wait_until(lambda: subject.cache.stats().refresh_failures == 1, what="the failed refresh")
    assert (await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)).name == "v1"
    assert source.calls == 2  # backing off: no refresh per request against a failing database
    subject.time.advance(2)
    await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    await wait_until(lambda: subject.cache.stats().refresh_failures == 2, what="the retried refresh")
    subject.time.advance(30)
    with pytest.raises(RuntimeError):
        await subject.cache.get_or_load("clinic:1", source, POLICY, returns=Clinic)
    assert subject.cache.stats().loader_errors == 3


async def test_realtime_values_are_never_cached(subject: Subject, build) -> None:
    source = Source(build.clinic())
    for _ in range(3):
        await subject.cache.get_or_load("clinic:1", source, REALTIME, returns=Clinic)
    assert source.calls == 3


async def test_restricted_values_stay_in_the_process_briefly(subject: Subject, build) -> None:
    restricted = CachePolicy(ttl=3600, compliance=Compliance.RESTRICTED)
    assert restricted.ttl == 60
    source = Source(build.clinic())
    await subject.cache.get_or_load("secret", source, restricted, returns=Clinic)
    await subject.cache.get_or_load("secret", source, restricted, returns=Clinic)
    assert source.calls == (1 if subject.in_process else 2)
    if subject.shared:
        assert await subject.stored("secret") is None
    subject.time.advance(61)
    await subject.cache.get_or_load("secret", source, restricted, returns=Clinic)
    assert source.calls == (2 if subject.in_process else 3)


async def test_sensitive_values_are_encrypted_before_they_leave_the_process(subject: Subject, build) -> None:
    user = build.user(name="Maria Sensitive")
    sensitive = CachePolicy(ttl=60, compliance=Compliance.SENSITIVE)
    source = Source(user)
    assert await subject.cache.get_or_load("user:1", source, sensitive, returns=User) == user
    assert await subject.cache.get_or_load("user:1", source, sensitive, returns=User) == user
    assert source.calls == 1
    if subject.shared:
        entry = await subject.stored("user:1")
        assert entry is not None and entry.frame[0] & ENCRYPTED
        assert b"Maria" not in entry.frame and user.email.value.encode() not in entry.frame


async def test_large_values_are_compressed_on_the_server(subject: Subject, build) -> None:
    clinic = build.clinic()
    page = Page(
        items=[build.location(clinic, address="1 Long Street " * 20) for _ in range(40)], next_after=None
    )
    source = Source(page)
    first = await subject.cache.get_or_load("locations", source, POLICY, returns=Page[ClinicLocation])
    again = await subject.cache.get_or_load("locations", source, POLICY, returns=Page[ClinicLocation])
    assert first == again == page and source.calls == 1 and again.items is not first.items
    if subject.shared:
        entry = await subject.stored("locations")
        assert entry is not None and entry.frame[0] & COMPRESSED
        assert len(entry.frame) < len(msgspec.msgpack.encode(page)) / 4


def _refreshing(subject: Subject) -> bool:
    return bool(subject.cache._filling.refresher.running)

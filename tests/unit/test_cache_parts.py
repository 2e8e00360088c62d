"""The cache's parts on their own: policies, the codec (compression, encryption), private copies,
the bounded L1, the circuit breaker. Time is the test's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from redis.exceptions import TimeoutError as RedisTimeout

from adapters.cache.breaker import BreakerState, CircuitBreaker, timed_out
from adapters.cache.codec import COMPRESSED, ENCRYPTED, ValueCodec
from adapters.cache.copying import copier_for, identity
from adapters.cache.local_layer import ENTRY_OVERHEAD, LocalEntry, LocalLayer
from adapters.cache.metrics import Counters
from adapters.crypto.field_cipher import AesGcmFieldCipher
from application.pagination import Page
from application.ports.cache import FREQUENT, REALTIME, SEMI_STATIC, STATIC, CachePolicy, Compliance
from cache_support import ManualTime
from domain.clinics import Clinic, ClinicLocation
from domain.contact import Email
from domain.errors import ServiceUnavailable
from domain.identity import Membership, Role

NOW = datetime(2026, 3, 1, tzinfo=UTC)
CIPHER = AesGcmFieldCipher("t1", {"t1": bytes(range(32))})


def test_policies_default_their_stale_time_and_cap_restricted_values() -> None:
    assert (FREQUENT.ttl, FREQUENT.stale_time) == (600, 300)
    assert REALTIME.ttl == 0 and SEMI_STATIC.ttl == 3600 and STATIC.ttl == 86_400
    assert CachePolicy(ttl=100, stale_time=500).stale_time == 100
    assert CachePolicy(ttl=600, compliance=Compliance.RESTRICTED).ttl == 60
    with pytest.raises(ValueError):
        CachePolicy(ttl=-1)


def test_compression_applies_above_the_threshold_only() -> None:
    codec = ValueCodec(compress_threshold=100)
    small, large = b"x" * 100, b"abc" * 1000
    assert codec.seal(small, "k", compress=True, encrypt=False)[0] == 0
    sealed = codec.seal(large, "k", compress=True, encrypt=False)
    assert sealed[0] == COMPRESSED and len(sealed) < len(large) / 10
    assert codec.open(sealed, "k") == large
    assert codec.seal(large, "k", compress=False, encrypt=False)[0] == 0


def test_encryption_is_bound_to_the_key_and_refuses_tampering() -> None:
    codec = ValueCodec(cipher=CIPHER, compress_threshold=10)
    secret = b"Maria Sensitive, +14155550100 " * 5
    sealed = codec.seal(secret, "user:1", compress=True, encrypt=True)
    assert sealed[0] == COMPRESSED | ENCRYPTED and b"Maria" not in sealed
    assert codec.open(sealed, "user:1") == secret
    with pytest.raises(ValueError):
        codec.open(sealed, "user:2")  # moved under another key
    with pytest.raises(ValueError):
        codec.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), "user:1")
    with pytest.raises(ValueError):
        ValueCodec().open(sealed, "user:1")  # no cipher here
    with pytest.raises(ValueError):
        ValueCodec().seal(secret, "user:1", compress=False, encrypt=True)


@dataclass(frozen=True, slots=True)
class Point:
    x: int
    tags: frozenset[str] = frozenset()


@dataclass(slots=True)
class Bag:
    items: list[Point] = field(default_factory=list)
    notes: dict[str, list[int]] = field(default_factory=dict)


def test_copies_share_only_what_cannot_change() -> None:
    assert copier_for(Point) is identity and copier_for(tuple[Point, ...]) is identity
    clinic = Clinic(
        id=uuid.uuid4(),
        name="A",
        time_zone="UTC",
        contact_email=Email("a@b.example"),
        created_at=NOW,
        updated_at=NOW,
    )
    copy = copier_for(Clinic)(clinic)
    assert copy == clinic and copy is not clinic
    copy.name = "B"
    assert clinic.name == "A"
    bag = Bag(items=[Point(1)], notes={"a": [1]})
    other = copier_for(Bag)(bag)
    other.items.append(Point(2))
    other.notes["a"].append(2)
    assert bag == Bag(items=[Point(1)], notes={"a": [1]})
    location = ClinicLocation(
        id=uuid.uuid4(), clinic_id=clinic.id, name="L", address="1 Main", created_at=NOW
    )
    page = Page(items=[location], next_after=None)
    copied = copier_for(Page[ClinicLocation])(page)
    assert copied == page and copied.items is not page.items and copied.items[0] is not location
    membership = Membership(clinic_id=clinic.id, user_id=uuid.uuid4(), role=Role.DOCTOR, created_at=NOW)
    assert copier_for(list[Membership])([membership])[0] is not membership


def test_types_without_a_copier_are_kept_encoded() -> None:
    class Opaque:
        pass

    assert copier_for(Opaque) is None and copier_for(list[Opaque]) is None
    assert copier_for(int | str) is identity and copier_for(Clinic | None) is not None


def _entry(
    value: object, *, size: int, now: float, layer: LocalLayer, tags: tuple[str, ...] = ()
) -> LocalEntry:
    return LocalEntry(
        value, identity, size=size, fresh_until=now + 30, expires_at=now + 60, snapshot=layer.snapshot(tags)
    )


def test_l1_is_bounded_by_entries_and_bytes_least_recently_used_out() -> None:
    counters = Counters()
    layer = LocalLayer(max_entries=3, max_bytes=10_000, counters=counters)
    for key in "abc":
        layer.put(key, _entry(key, size=10, now=0, layer=layer))
    assert layer.get("a", 1) is not None  # a is now the most recently used
    layer.put("d", _entry("d", size=10, now=0, layer=layer))
    assert layer.get("b", 1) is None and {k for k in "acd" if layer.get(k, 1)} == {"a", "c", "d"}
    big = 10_000 - 2 * (10 + ENTRY_OVERHEAD) - ENTRY_OVERHEAD
    layer.put("e", _entry("e", size=big, now=0, layer=layer))
    assert layer.size_bytes <= 10_000 and len(layer) <= 3
    assert counters.l1_evictions >= 2
    layer.put("huge", _entry("huge", size=20_000, now=0, layer=layer))
    assert layer.get("huge", 1) is None  # never cached: it would push out everything else


def test_l1_expiry_tags_and_clear_are_honoured() -> None:
    layer = LocalLayer(max_entries=10, max_bytes=10_000, counters=Counters())
    layer.put("k", _entry("v", size=1, now=0, layer=layer, tags=("t",)))
    assert layer.get("k", 59) is not None and layer.get("k", 60) is None
    layer.put("k", _entry("v", size=1, now=0, layer=layer, tags=("t",)))
    read_before_the_write = layer.snapshot(("t",))
    layer.bump(("t",))
    assert layer.get("k", 1) is None
    layer.put(
        "k", LocalEntry("v", identity, size=1, fresh_until=30, expires_at=60, snapshot=read_before_the_write)
    )
    assert layer.get("k", 1) is None  # read before the invalidation: never stored
    reading = layer.snapshot(())
    layer.clear()
    layer.put("k", LocalEntry("v", identity, size=1, fresh_until=30, expires_at=60, snapshot=reading))
    assert layer.get("k", 1) is None


def test_breaker_opens_after_failures_in_its_window_then_probes_once() -> None:
    time = ManualTime()
    breaker = CircuitBreaker(time, failures=3, window=10, reset_after=5)
    breaker.failure()
    time.advance(11)  # out of the window: forgotten
    breaker.failure()
    breaker.failure()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow() and breaker.opened == 1
    time.advance(5)
    assert breaker.allow() and breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow()  # one probe at a time
    breaker.failure()
    assert breaker.state is BreakerState.OPEN and breaker.opened == 2
    time.advance(5)
    assert breaker.allow()
    time.advance(5)
    assert breaker.allow()  # the probe never reported back: another one may go
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()


def test_one_timeout_opens_the_breaker_at_once_even_wrapped() -> None:
    time = ManualTime()
    breaker = CircuitBreaker(time, failures=3, window=10, reset_after=5)
    breaker.failure(ConnectionRefusedError())  # a refusal is quick to learn: it is only counted
    assert breaker.state is BreakerState.CLOSED
    try:
        try:
            raise RedisTimeout("Timeout reading from 127.0.0.1:6379")
        except RedisTimeout as cause:
            raise ServiceUnavailable() from cause  # as a store translates it
    except ServiceUnavailable as wrapped:
        breaker.failure(wrapped)
    assert breaker.state is BreakerState.OPEN and breaker.opened == 1
    assert timed_out(TimeoutError()) and not timed_out(ConnectionResetError())

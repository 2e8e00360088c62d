"""RateLimiter: one contract on the limits library in memory and on the Redis window
(RedisWindowLimiter, one round trip a hit); the window's sliding on the latter, whose clock a test
drives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.ratelimit.limits_limiter import LimitsRateLimiter
from adapters.redis.window_limiter import RedisWindowLimiter
from application.ports.otp import RateLimit, RateLimiter
from cache_support import shared_redis
from domain.errors import ServiceUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(
    params=[
        "limits-memory",
        pytest.param("redis-window", marks=pytest.mark.redis),
    ]
)
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "limits-memory":
        yield LimitsRateLimiter.in_memory()
        return
    async with shared_redis() as redis:
        yield RedisWindowLimiter(redis.client, prefix=redis.prefix)


async def test_admits_the_amount_then_refuses_without_counting_the_refused(subject: RateLimiter) -> None:
    limit = RateLimit(3, 60)
    decisions = [await subject.hit("caller", limit) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    for refused in decisions[3:]:
        assert 1.0 <= refused.reset_after <= 60.0  # until the first event leaves the window
    assert all(0.0 <= d.reset_after <= 60.0 for d in decisions[:3])


async def test_keys_and_limits_are_counted_apart(subject: RateLimiter) -> None:
    one = RateLimit(1, 60)
    assert (await subject.hit("a", one)).allowed
    assert not (await subject.hit("a", one)).allowed
    assert (await subject.hit("b", one)).allowed  # another caller
    assert (await subject.hit("a", RateLimit(5, 60))).allowed  # another limit


async def test_hit_all_counts_in_order_up_to_the_first_refusal(subject: RateLimiter) -> None:
    tight, loose = RateLimit(1, 60), RateLimit(5, 60)
    first = await subject.hit_all([("ip", loose), ("user", tight), ("clinic", loose)])
    assert [(d.allowed, d.remaining) for d in first] == [(True, 4), (True, 0), (True, 4)]
    second = await subject.hit_all([("ip", loose), ("user", tight), ("clinic", loose)])
    assert [(d.allowed, d.remaining) for d in second] == [(True, 3), (False, 0)]  # stops there
    assert (await subject.hit("clinic", loose)).remaining == 3  # the refused one not counted
    assert await subject.hit_all([]) == []


async def test_concurrent_events_never_pass_the_amount(subject: RateLimiter) -> None:
    limit = RateLimit(10, 60)
    decisions = await asyncio.gather(*(subject.hit("crowd", limit) for _ in range(40)))
    assert sum(d.allowed for d in decisions) == 10


@pytest.mark.redis
async def test_the_window_moves_one_event_at_a_time() -> None:
    """On the Redis window, whose clock the test drives (the limits adapter reads the real one)."""
    clock, limit = Clock(), RateLimit(2, 10)
    async with shared_redis() as redis:
        limiter = RedisWindowLimiter(redis.client, prefix=redis.prefix, clock=clock)
        assert (await limiter.hit("w", limit)).allowed  # t = 0
        clock.now += 4
        assert (await limiter.hit("w", limit)).allowed  # t = 4
        clock.now += 5
        refused = await limiter.hit("w", limit)  # t = 9: both still in the window
        assert not refused.allowed and refused.reset_after == pytest.approx(1.0)
        clock.now += 1.5  # t = 10.5: the first has left, the second has not
        again = await limiter.hit("w", limit)
        assert again.allowed and again.remaining == 0
        assert again.reset_after == pytest.approx(3.5)  # the t = 4 event leaves at 14
        assert not (await limiter.hit("w", limit)).allowed


async def test_an_unreachable_server_is_service_unavailable() -> None:
    client = Redis(host="127.0.0.1", port=1, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        with pytest.raises(ServiceUnavailable):
            await RedisWindowLimiter(client, prefix="x").hit("k", RateLimit(1, 1))
    finally:
        await client.aclose()

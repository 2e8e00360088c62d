"""When the shared rate-limit store fails, limits hold in this process, and the store, behind its
server's circuit breaker, is tried again by one request per interval rather than by every limit
of every request."""

from __future__ import annotations

from adapters.cache.breaker import CircuitBreaker
from adapters.redis.guard import GuardedRateLimiter
from application.ports.otp import RateDecision, RateLimit, RateLimiter
from cache_support import ManualTime
from domain.errors import ServiceUnavailable
from entrypoints.http.rate_limits import RequestThrottle, RouteLimits


class Store(RateLimiter):
    """A shared store that times out until ``up`` is set; counts the calls that reached it."""

    def __init__(self) -> None:
        self.up = False
        self.reached = 0

    async def hit(self, key: str, limit: RateLimit) -> RateDecision:
        self.reached += 1
        if not self.up:
            raise ServiceUnavailable() from TimeoutError("no answer within the socket timeout")
        return RateDecision(allowed=True, remaining=limit.amount - 1, reset_after=60.0)


class Local(RateLimiter):
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    async def hit(self, key: str, limit: RateLimit) -> RateDecision:
        self.counts[key] = self.counts.get(key, 0) + 1
        used = self.counts[key]
        return RateDecision(
            allowed=used <= limit.amount, remaining=max(0, limit.amount - used), reset_after=60.0
        )


def throttle(store: Store, local: Local, time: ManualTime) -> RequestThrottle:
    limit = RateLimit(2, 60)
    breaker = CircuitBreaker(time, failures=5, window=10, reset_after=5)
    return RequestThrottle(
        GuardedRateLimiter(store, breaker),
        local,
        tokens=None,  # type: ignore[arg-type]  # not reached by _hit
        limits=RouteLimits(per_ip=limit, per_user=limit, per_clinic=limit, auth_per_ip=limit),
        enabled=True,
    )


async def test_a_failed_store_is_skipped_until_one_probe_per_interval() -> None:
    store, local, time = Store(), Local(), ManualTime()
    limits = throttle(store, local, time)
    limit = RateLimit(2, 60)
    decisions = [await _one(limits, "ip:1", limit) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]  # enforced in this process
    assert store.reached == 1  # one timeout paid, not three
    time.advance(5)
    store.up = True
    assert (await _one(limits, "ip:2", limit)).allowed
    assert store.reached == 2  # the probe found the store back
    await _one(limits, "ip:3", limit)
    assert store.reached == 3 and "ip:3" not in local.counts  # counted in the shared store again


async def _one(throttle: RequestThrottle, key: str, limit: RateLimit) -> RateDecision:
    [decision] = await throttle._hit_all([(key, limit)])
    return decision

"""When the shared rate-limit store fails, limits hold in this process, and the store is tried
again by one request per interval rather than by every limit of every request."""

from __future__ import annotations

from application.ports.otp import RateDecision, RateLimit, RateLimiter
from domain.errors import ServiceUnavailable
from entrypoints.http.rate_limits import RequestThrottle, RouteLimits


class Store(RateLimiter):
    """A shared store that is down until ``up`` is set; counts the calls that reached it."""

    def __init__(self) -> None:
        self.up = False
        self.reached = 0

    async def hit(self, key: str, limit: RateLimit) -> RateDecision:
        self.reached += 1
        if not self.up:
            raise ServiceUnavailable()
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


def throttle(store: Store, local: Local, now: list[float]) -> RequestThrottle:
    limit = RateLimit(2, 60)
    return RequestThrottle(
        store,
        local,
        tokens=None,  # type: ignore[arg-type]  # not reached by _hit
        limits=RouteLimits(per_ip=limit, per_user=limit, per_clinic=limit, auth_per_ip=limit),
        enabled=True,
        retry_seconds=5.0,
        clock=lambda: now[0],
    )


async def test_a_failed_store_is_skipped_until_one_probe_per_interval() -> None:
    store, local, now = Store(), Local(), [100.0]
    limits = throttle(store, local, now)
    limit = RateLimit(2, 60)
    decisions = [await limits._hit("ip:1", limit) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]  # enforced in this process
    assert store.reached == 1  # one timeout paid, not three
    now[0] += 5.0
    store.up = True
    assert (await limits._hit("ip:2", limit)).allowed
    assert store.reached == 2  # the probe found the store back
    await limits._hit("ip:3", limit)
    assert store.reached == 3 and "ip:3" not in local.counts  # counted in the shared store again

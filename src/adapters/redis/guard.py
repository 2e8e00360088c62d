"""Calls to Redis behind the server's circuit breaker (the one the whole process shares for that
server: see entrypoints/ioc/cache.py), for the users that fail closed or fall back on their own.

While the breaker is open a call raises ServiceUnavailable at once instead of waiting out a
socket timeout; every call let through reports its outcome, so a timeout seen here opens the
breaker for the cache too, and the cache's for these callers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from redis.exceptions import RedisError

from application.ports.otp import RateDecision, RateLimit, RateLimiter
from domain.errors import ServiceUnavailable

T = TypeVar("T")
RETRY_AFTER_SECONDS = 5
# What a server that is down, frozen or refusing raises (ServiceUnavailable: a store that
# translated it already); anything else is a bug of the call, not news about the server.
SERVER_FAILURES = (RedisError, OSError, TimeoutError, ServiceUnavailable)


class Breaker(Protocol):
    """What a caller needs of a circuit breaker (adapters/cache/breaker.py is the one in use)."""

    def allow(self) -> bool: ...

    def success(self) -> None: ...

    def failure(self, error: BaseException | None = None) -> None: ...


async def through(breaker: Breaker | None, call: Callable[[], Awaitable[T]], *, what: str) -> T:
    """``call()`` when ``breaker`` lets it through, its outcome reported; ServiceUnavailable at
    once when the breaker is open. A failure of the server is reported and re-raised as it is
    (the caller translates it)."""
    if breaker is None:
        return await call()
    if not breaker.allow():
        raise ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS, context=f"{what}: Redis circuit open")
    try:
        result = await call()
    except SERVER_FAILURES as exc:
        breaker.failure(exc)
        raise
    breaker.success()
    return result


class GuardedRateLimiter(RateLimiter):
    """A RateLimiter on Redis behind the server's breaker: ServiceUnavailable at once while the
    breaker is open, as the limiter itself raises when Redis fails."""

    def __init__(self, limiter: RateLimiter, breaker: Breaker) -> None:
        self._limiter = limiter
        self._breaker = breaker

    async def hit(self, key: str, limit: RateLimit) -> RateDecision:
        return await through(self._breaker, lambda: self._limiter.hit(key, limit), what="rate limiter")

    async def hit_all(self, hits: Sequence[tuple[str, RateLimit]]) -> list[RateDecision]:
        return await through(self._breaker, lambda: self._limiter.hit_all(hits), what="rate limiter")

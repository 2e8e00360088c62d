"""RateLimiter over the ``limits`` library (moving window) in this process's memory: the memory and
embedded profiles, and the fallback of the request throttle when Redis cannot be reached. In
Redis the limiter is adapters/redis/window_limiter.py (the same window, one round trip a hit)."""

from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from application.ports.otp import RateDecision, RateLimit, RateLimiter
from domain.errors import ServiceUnavailable


class LimitsRateLimiter(RateLimiter):
    """A limiter whose storage failing is ServiceUnavailable: callers that guard security (OTP
    sends) fail closed; callers that only shed load may choose to fall back."""

    def __init__(self, storage: Storage) -> None:
        self._limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def in_memory(cls) -> LimitsRateLimiter:
        return cls(MemoryStorage())

    async def hit(self, key: str, limit: RateLimit) -> RateDecision:
        item = RateLimitItemPerSecond(limit.amount, limit.per_seconds)
        try:
            allowed = await self._limiter.hit(item, key)
            stats = await self._limiter.get_window_stats(item, key)
        except Exception as exc:  # the storage's own errors, wrapped by limits
            raise ServiceUnavailable(retry_after=5, context=f"rate limiter: {type(exc).__name__}") from exc
        reset_after = max(0.0, stats.reset_time - time.time())
        return RateDecision(allowed, stats.remaining, max(1.0, reset_after) if not allowed else reset_after)

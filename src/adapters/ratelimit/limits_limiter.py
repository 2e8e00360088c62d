"""RateLimiter over the ``limits`` library (moving window), in memory or in Redis."""

from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from application.ports.otp import RateLimit, RateLimiter
from domain.errors import ServiceUnavailable


class LimitsRateLimiter(RateLimiter):
    """A limiter whose storage failing is ServiceUnavailable: callers that guard security (OTP
    sends) fail closed; callers that only shed load may choose to fall back."""

    def __init__(self, storage: Storage) -> None:
        self._limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def in_memory(cls) -> LimitsRateLimiter:
        return cls(MemoryStorage())

    @classmethod
    def on_redis(cls, url: str, *, prefix: str = "rl") -> LimitsRateLimiter:
        return cls(RedisStorage(url, implementation="redispy", key_prefix=prefix, wrap_exceptions=True))

    async def hit(self, key: str, limit: RateLimit) -> float | None:
        item = RateLimitItemPerSecond(limit.amount, limit.per_seconds)
        try:
            if await self._limiter.hit(item, key):
                return None
            stats = await self._limiter.get_window_stats(item, key)
        except Exception as exc:  # the storage's own errors, wrapped by limits
            raise ServiceUnavailable(retry_after=5, context=f"rate limiter: {type(exc).__name__}") from exc
        return max(1.0, stats.reset_time - time.time())

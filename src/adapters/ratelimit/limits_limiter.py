"""RateLimiter over the ``limits`` library (moving window), in memory, in Redis or in a Redis Cluster.

Each limit is one key, touched by one Lua script at a time, so a cluster needs no hash tags."""

from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisClusterStorage, RedisStorage, Storage
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

    @classmethod
    def on_redis(cls, url: str, *, prefix: str = "rl", timeout: float | None = None) -> LimitsRateLimiter:
        """``url``: ``async+redis://[:password@]host:port/db``, or ``async+redis+cluster://
        [:password@]host:port[,host:port]`` for a Redis Cluster (one seed node is enough).
        ``timeout`` bounds each round trip and connect."""
        options: dict[str, float] = {}
        if timeout is not None:
            options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        storage = RedisClusterStorage if url.startswith("async+redis+cluster://") else RedisStorage
        return cls(storage(url, implementation="redispy", key_prefix=prefix, wrap_exceptions=True, **options))

    async def hit(self, key: str, limit: RateLimit) -> RateDecision:
        item = RateLimitItemPerSecond(limit.amount, limit.per_seconds)
        try:
            allowed = await self._limiter.hit(item, key)
            stats = await self._limiter.get_window_stats(item, key)
        except Exception as exc:  # the storage's own errors, wrapped by limits
            raise ServiceUnavailable(retry_after=5, context=f"rate limiter: {type(exc).__name__}") from exc
        reset_after = max(0.0, stats.reset_time - time.time())
        return RateDecision(allowed, stats.remaining, max(1.0, reset_after) if not allowed else reset_after)

"""RateLimiter in Redis with one round trip per event: a moving window kept as a sorted set.

The ``limits`` library (adapters/ratelimit/limits_limiter.py) needs two round trips per event
(admit, then read the window for the RateLimit headers), and reads the whole window list for the
second one. Every request is counted against two or three limits, so those round trips were most
of what a cached read cost (bench/http_bench.py). Here one Lua script does it all:

1. drop the window's entries older than ``per_seconds``;
2. admit the event when fewer than ``amount`` remain (a refused event is not counted);
3. answer whether it was admitted, how many the window holds, and when its oldest entry leaves.

The same figures as the moving window of ``limits`` (the event times are the callers' clocks,
as there). One key per limit, so a Redis Cluster needs no hash tags. Each entry is a member of
the sorted set scored by its time, made unique by this process's random token and a counter.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable

from redis.exceptions import RedisError

from adapters.redis.client import RedisClient
from application.ports.otp import RateDecision, RateLimit, RateLimiter
from domain.errors import ServiceUnavailable

RETRY_AFTER_SECONDS = 5

# KEYS[1]: the window. ARGV: now (seconds, float), amount, per_seconds, a unique suffix.
# Returns {admitted (0/1), entries in the window after this event, score of the oldest entry}.
_HIT = """
local now = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local admitted = 0
if count < amount then
  redis.call('ZADD', KEYS[1], now, ARGV[1] .. ':' .. ARGV[4])
  count = count + 1
  admitted = 1
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {admitted, count, oldest[2] or ARGV[1]}
"""


class RedisWindowLimiter(RateLimiter):
    """A storage failing is ServiceUnavailable, as for LimitsRateLimiter: callers that guard
    security (OTP sends) fail closed; callers that only shed load may fall back."""

    def __init__(self, client: RedisClient, *, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self._hit = client.register_script(_HIT)
        self._prefix = prefix
        self._clock = clock
        # Members unique across processes without a random draw per event (a system call).
        self._token = secrets.token_hex(6)
        self._serial = itertools.count()

    async def hit(self, key: str, limit: RateLimit) -> RateDecision:
        now = self._clock()
        window_key = f"{self._prefix}:{limit.amount}/{limit.per_seconds}:{key}"
        try:
            admitted, count, oldest = await self._hit(
                keys=[window_key],
                args=[repr(now), limit.amount, limit.per_seconds, f"{self._token}.{next(self._serial)}"],
            )
        except (RedisError, OSError, TimeoutError) as exc:
            raise ServiceUnavailable(
                retry_after=RETRY_AFTER_SECONDS, context=f"rate limiter: {type(exc).__name__}"
            ) from exc
        reset_after = max(0.0, float(oldest) + limit.per_seconds - now)
        if not admitted:
            return RateDecision(False, 0, max(1.0, reset_after))
        return RateDecision(True, max(0, limit.amount - int(count)), reset_after)

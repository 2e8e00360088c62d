"""RateLimiter in Redis with one round trip per event: a moving window kept as a sorted set.

The ``limits`` library (adapters/ratelimit/limits_limiter.py) needs two round trips per event
(admit, then read the window for the RateLimit headers), and reads the whole window list for the
second one. Every request is counted against two or three limits, so those round trips were most
of what a cached read cost (bench/http_bench.py). Here one Lua script does, per limit:

1. drop the window's entries older than ``per_seconds``;
2. admit the event when fewer than ``amount`` remain (a refused event is not counted);
3. answer whether it was admitted, how many the window holds, and when its oldest entry leaves;
and it does so for all the limits of a request in turn (``hit_all``), up to the first that
refuses, in the same round trip. The keys of one call may sit in different cluster slots, so on
a Redis Cluster each limit is a call of its own.

The same figures as the moving window of ``limits`` (the event times are the callers' clocks,
as there). One key per limit, so a Redis Cluster needs no hash tags. Each entry is a member of
the sorted set scored by its time, made unique by this process's random token and a counter
(one member per call: an event counts once in each window).
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable, Sequence

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from adapters.redis.client import RedisClient
from application.ports.otp import RateDecision, RateLimit, RateLimiter
from domain.errors import ServiceUnavailable

RETRY_AFTER_SECONDS = 5

# KEYS: the windows, in order. ARGV: now (seconds, float), a member unique to this call, then
# amount and per_seconds for each window. Stops after the first window that refuses.
# Returns, per window counted: admitted (0/1), entries after this event, score of the oldest.
_HIT = """
local now = tonumber(ARGV[1])
local answers = {}
for i, key in ipairs(KEYS) do
  local amount = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  local admitted = 0
  if count < amount then
    redis.call('ZADD', key, now, ARGV[2])
    count = count + 1
    admitted = 1
  end
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  answers[#answers + 1] = admitted
  answers[#answers + 1] = count
  answers[#answers + 1] = oldest[2] or ARGV[1]
  if admitted == 0 then break end
end
return answers
"""


class RedisWindowLimiter(RateLimiter):
    """A storage failing is ServiceUnavailable, as for LimitsRateLimiter: callers that guard
    security (OTP sends) fail closed; callers that only shed load may fall back."""

    def __init__(self, client: RedisClient, *, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._hit = client.register_script(_HIT)
        self._prefix = prefix
        self._clock = clock
        # Members unique across processes without a random draw per event (a system call).
        self._token = secrets.token_hex(6)
        self._serial = itertools.count()

    async def hit(self, key: str, limit: RateLimit) -> RateDecision:
        [decision] = await self._run([(key, limit)])
        return decision

    async def hit_all(self, hits: Sequence[tuple[str, RateLimit]]) -> list[RateDecision]:
        """One round trip for all of them on one server; on a Redis Cluster one per limit (their
        keys live in different slots)."""
        if isinstance(self._client, RedisCluster):
            return await super().hit_all(hits)
        return await self._run(hits)

    async def _run(self, hits: Sequence[tuple[str, RateLimit]]) -> list[RateDecision]:
        now = self._clock()
        keys = [f"{self._prefix}:{limit.amount}/{limit.per_seconds}:{key}" for key, limit in hits]
        args: list[object] = [repr(now), f"{self._token}.{next(self._serial)}"]
        for _, limit in hits:
            args += [limit.amount, limit.per_seconds]
        try:
            flat = await self._hit(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            raise ServiceUnavailable(
                retry_after=RETRY_AFTER_SECONDS, context=f"rate limiter: {type(exc).__name__}"
            ) from exc
        decisions = []
        for (_, limit), at in zip(hits, range(0, len(flat), 3), strict=False):
            admitted, count, oldest = flat[at : at + 3]
            reset_after = max(0.0, float(oldest) + limit.per_seconds - now)
            if admitted:
                decisions.append(RateDecision(True, max(0, limit.amount - int(count)), reset_after))
            else:
                decisions.append(RateDecision(False, 0, max(1.0, reset_after)))
        return decisions

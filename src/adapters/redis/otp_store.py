"""OtpStore over Redis: each operation is one Lua script, so it is atomic across processes.

Keys hold no PII: they are built from the identity's keyed hash. Times are passed in from our
Clock (milliseconds since the epoch) rather than read from Redis, so every store agrees on time;
Redis expiry (relative, so the two clocks need not agree) only cleans up. Redis unreachable:
ServiceUnavailable (sign-in fails closed), at once while the server's shared circuit breaker is
open (see adapters/redis/guard.py). An identity's keys share the hash tag
``{<identity hash>}``, so its transaction works on a Redis Cluster too (one slot), and identities
spread over the cluster's nodes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from redis.exceptions import RedisError

from adapters.redis.client import RedisClient
from adapters.redis.guard import Breaker, through
from application.ports.otp import Guess, OtpStore
from domain.errors import ServiceUnavailable
from domain.otp import CODE_LIFETIME, MAX_GUESSES, OtpChallenge

T = TypeVar("T")
CLEANUP_MARGIN_MS = 60_000
# Expiry here only cleans up (validity is judged against our Clock): keep a code a while past its
# life, measured relatively so that the Redis clock and ours need not agree.
KEEP_CODES_MS = int(CODE_LIFETIME.total_seconds() * 1000) * 2 + CLEANUP_MARGIN_MS

_GUESS = """
local c = redis.call('HMGET', KEYS[1], 'id', 'code', 'expires', 'attempts', 'used')
if not c[1] or c[5] == '1' or tonumber(c[3]) <= tonumber(ARGV[1]) or tonumber(c[4]) >= tonumber(ARGV[2]) then
  return false
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {c[1], c[2], attempts}
"""
_CONSUME = """
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] and redis.call('HGET', KEYS[1], 'used') == '0' then
  redis.call('HSET', KEYS[1], 'used', '1')
  return 1
end
return 0
"""
_LOCK = """
local held = redis.call('GET', KEYS[1])
if held and tonumber(held) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[2]) - tonumber(ARGV[1]) + tonumber(ARGV[3]))
return 1
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class RedisOtpStore(OtpStore):
    def __init__(self, client: RedisClient, *, prefix: str = "otp", breaker: Breaker | None = None) -> None:
        self._client = client
        self._breaker = breaker
        self._prefix = prefix
        self._guess = client.register_script(_GUESS)
        self._consume = client.register_script(_CONSUME)
        self._lock = client.register_script(_LOCK)

    def _code_key(self, identity_hash: str) -> str:
        return f"{self._prefix}:{{{identity_hash}}}:code"  # the hash tag keeps both keys on one slot

    def _lock_key(self, identity_hash: str) -> str:
        return f"{self._prefix}:{{{identity_hash}}}:lock"

    async def _reachable(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await through(self._breaker, call, what="otp store")
        except (RedisError, OSError, TimeoutError) as exc:
            raise ServiceUnavailable(retry_after=5, context=f"otp store: {type(exc).__name__}") from exc

    async def put(self, challenge: OtpChallenge) -> None:
        key = self._code_key(challenge.identity_hash)
        fields = {
            "id": str(challenge.id),
            "code": challenge.code_hash,
            "expires": _ms(challenge.expires_at),
            "attempts": challenge.attempts,
            "used": "0",
        }

        async def write() -> None:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.delete(key).hset(key, mapping=fields).pexpire(key, KEEP_CODES_MS)
                await pipe.execute()

        await self._reachable(write)

    async def guess(self, identity_hash: str, now: datetime) -> Guess | None:
        result: Any = await self._reachable(
            lambda: self._guess(keys=[self._code_key(identity_hash)], args=[_ms(now), MAX_GUESSES])
        )
        if not result:
            return None
        challenge_id, code_hash, attempts = result
        return Guess(UUID(_text(challenge_id)), _text(code_hash), int(attempts))

    async def consume(self, identity_hash: str, challenge_id: UUID) -> bool:
        done = await self._reachable(
            lambda: self._consume(keys=[self._code_key(identity_hash)], args=[str(challenge_id)])
        )
        return bool(done)

    async def lock(self, identity_hash: str, now: datetime, until: datetime) -> bool:
        done = await self._reachable(
            lambda: self._lock(
                keys=[self._lock_key(identity_hash)], args=[_ms(now), _ms(until), CLEANUP_MARGIN_MS]
            )
        )
        return bool(done)

    async def locked_until(self, identity_hash: str, now: datetime) -> datetime | None:
        raw = await self._reachable(lambda: self._client.get(self._lock_key(identity_hash)))
        if raw is None or int(raw) <= _ms(now):
            return None
        return datetime.fromtimestamp(int(raw) / 1000, UTC)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

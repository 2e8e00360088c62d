"""The shared layer behind a circuit breaker and a deadline, with invalidations it still owes.

Every call answers with the layer's result, or FAILED when Redis refused, timed out, broke the
connection or the breaker is open. Nothing raises to the caller, so a Redis outage is never an
error for a request, only a slower path (the loader). Nothing hangs either: every wait inside
the client (for a pooled connection, to connect, for each reply) is bounded by the client's
timeout (see ``cache_client``), and a call that times out opens the breaker at once, so a
request waits out one timeout at most; then calls stop waiting at all. The breaker is the one
Redis server's: shared with the other users of that server (the rate limiter, the sign-in code
store), so their timeout opens it for the cache too, and theirs for them.
Invalidations that could not be delivered are kept and delivered first, before the layer serves
anything again (the breaker's half-open probe is that delivery); past MAX_PENDING of them the
details are dropped and every shared entry is invalidated instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from typing import Final, TypeVar

from redis.exceptions import RedisError

from adapters.cache.breaker import CircuitBreaker
from adapters.cache.metrics import Counters
from adapters.cache.redis_layer import ALL, RedisLayer

T = TypeVar("T")
MAX_PENDING = 10_000
logger = logging.getLogger(__name__)
_ERRORS = (RedisError, OSError, TimeoutError)


class Failed(Enum):
    FAILED = "failed"


FAILED: Final = Failed.FAILED


class GuardedLayer:
    def __init__(
        self, layer: RedisLayer, breaker: CircuitBreaker, counters: Counters, *, origin: str
    ) -> None:
        self.layer = layer
        self.breaker = breaker
        self.origin = origin
        self._counters = counters
        self._tags: set[str] = set()
        self._keys: set[str] = set()

    @property
    def owes(self) -> bool:
        """Whether some invalidations are not delivered yet."""
        return bool(self._tags or self._keys)

    async def call(self, op: Callable[[RedisLayer], Awaitable[T]], *, settle: bool = True) -> T | Failed:
        """``op`` on the layer, after the invalidations owed (unless ``settle`` is False)."""
        if settle and (self._tags or self._keys) and not await self._flush():
            return FAILED
        if not self.breaker.allow():
            return FAILED
        try:
            result = await op(self.layer)
        except _ERRORS as exc:
            self._counters.l2_errors += 1
            self.breaker.failure(exc)
            logger.debug("shared cache call failed: %s", type(exc).__name__)
            return FAILED
        self.breaker.success()
        return result

    async def invalidate(self, tags: Iterable[str], keys: Iterable[str]) -> bool:
        """Deliver now if possible, else keep for later; True when delivered."""
        self._remember(set(tags), set(keys))
        return await self._flush()

    async def _flush(self) -> bool:
        tags, keys = self._tags, self._keys
        self._tags, self._keys = set(), set()
        sent = await self.call(
            lambda layer: layer.invalidate(sorted(tags), sorted(keys), origin=self.origin), settle=False
        )
        if sent is FAILED:
            self._remember(tags, keys)
            return False
        return True

    def _remember(self, tags: set[str], keys: set[str]) -> None:
        self._tags |= tags
        self._keys |= keys
        if len(self._tags) + len(self._keys) > MAX_PENDING:
            self._tags, self._keys = {ALL}, set()

"""TieredCache: the Cache port over an in-process layer, a shared layer, or both.

MemoryCache (L1 alone), RedisCache (L2 alone) and LayeredCache (both) are its configurations.
The read path: L1 (fresh: served; stale: served, one refresh in the background), then in one
single flight per key and process: L2 (one MGET), then the loader under a short cross-process
lock. Loading and refreshing live in ``filling.py``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from adapters.cache.codec import ValueCodec
from adapters.cache.copying import copier_for, identity
from adapters.cache.filling import Filling
from adapters.cache.guarded import FAILED, GuardedLayer
from adapters.cache.local_layer import LocalLayer
from adapters.cache.metrics import Counters
from adapters.cache.options import CacheOptions, Handling
from adapters.cache.redis_layer import ALL
from application.ports.cache import Cache, CachePolicy, CacheStats, Loader
from application.ports.clock import Clock, MonotonicClock

T = TypeVar("T")


class TieredCache(Cache):
    def __init__(
        self,
        *,
        local: LocalLayer | None,
        shared: GuardedLayer | None,
        codec: ValueCodec,
        clock: Clock,
        monotonic: MonotonicClock,
        counters: Counters,
        options: CacheOptions = CacheOptions(),
    ) -> None:
        self._local = local
        self._shared = shared
        self._codec = codec
        self._monotonic = monotonic
        self._counters = counters
        self._handlings: dict[Any, Handling] = {}
        self._filling = Filling(
            local=local, shared=shared, codec=codec, clock=clock, monotonic=monotonic,
            counters=counters, options=options,
        )  # fmt: skip

    @property
    def offline(self) -> bool:
        return self._filling.offline

    @offline.setter
    def offline(self, value: bool) -> None:
        """While True, L1 entries are short-lived (CacheOptions.offline_ttl); the invalidation
        listener sets it."""
        self._filling.offline = value

    async def get_or_load(
        self,
        key: str,
        loader: Loader[T],
        policy: CachePolicy,
        *,
        returns: type[T],
        refresh: Loader[T] | None = None,
    ) -> T | None:
        if policy.ttl <= 0:
            self._counters.loader_calls += 1
            return await loader()
        local = self._local
        if local is not None:
            now = self._monotonic.monotonic()
            entry = local.get(key, now)
            if entry is not None:
                if now < entry.fresh_until:
                    self._counters.l1_hits += 1
                else:
                    self._counters.stale_served += 1
                    self._filling.refresher.later(key, refresh or loader, policy, self._handling(returns))
                copy = entry.copy
                return copy(entry.value) if copy is not None else self._codec.decode(entry.value, returns)  # type: ignore[no-any-return]
        handling = self._handling(returns)
        filling = self._filling
        kept = await filling.flight.run(
            key, lambda: filling.fill(key, loader, refresh or loader, policy, handling)
        )
        return None if kept is None else self._private(handling, kept)

    async def get(self, key: str, *, returns: type[T]) -> T | None:
        if self._local is not None:
            entry = self._local.get(key, self._monotonic.monotonic())
            if entry is not None:
                self._counters.l1_hits += 1
                copy = entry.copy
                return copy(entry.value) if copy is not None else self._codec.decode(entry.value, returns)  # type: ignore[no-any-return]
        if self._shared is None:
            return None
        found = await self._shared.call(lambda layer: layer.fetch_any(key))
        if found is FAILED or found is None:
            return None
        value = self._filling.read(key, found, returns)  # not kept in L1: its tags were unknown
        if value is not None:
            self._counters.l2_hits += 1
        return value  # type: ignore[no-any-return]

    async def set(self, key: str, value: T, policy: CachePolicy) -> None:
        if policy.ttl > 0:
            await self._filling.put(key, value, policy, self._handling(type(value)))

    async def delete(self, *keys: str) -> None:
        if self._local is not None:
            self._local.delete(*keys)
        if self._shared is not None and keys:
            await self._shared.invalidate((), keys)

    async def invalidate_tags(self, *tags: str) -> None:
        if not tags:
            return
        self._counters.invalidations += 1
        if self._local is not None:
            self._local.bump(tags)
        if self._shared is not None:
            await self._shared.invalidate(tags, ())

    def forget(self, tags: list[str], keys: list[str]) -> None:
        """Apply another process's invalidation to L1 (the shared layer already has it)."""
        if self._local is None:
            return
        if ALL in tags:
            self._local.clear()
        self._local.bump(tags)
        self._local.delete(*keys)

    def drop_local(self) -> None:
        """Forget all of L1: what it holds may have missed invalidations."""
        if self._local is not None:
            self._local.clear()

    def stats(self) -> CacheStats:
        local, shared = self._local, self._shared
        return self._counters.snapshot(
            l1_entries=len(local) if local is not None else 0,
            l1_bytes=local.size_bytes if local is not None else 0,
            breaker_state=str(shared.breaker.state) if shared is not None else "none",
            breaker_opened=shared.breaker.opened if shared is not None else 0,
        )

    async def close(self) -> None:
        await self._filling.refresher.close()

    def _handling(self, returns: Any) -> Handling:
        handling = self._handlings.get(returns)
        if handling is None:
            handling = self._handlings[returns] = Handling(returns, copier_for(returns))
        return handling

    def _private(self, handling: Handling, kept: Any) -> Any:
        copier = handling.copier
        if copier is None:
            return self._codec.decode(kept, handling.returns)
        return kept if copier is identity else copier(kept)

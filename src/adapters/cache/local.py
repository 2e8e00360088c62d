"""MemoryCache: the Cache port over the in-process layer alone (memory and embedded profiles)."""

from __future__ import annotations

from adapters.cache.codec import ValueCodec
from adapters.cache.local_layer import LocalLayer
from adapters.cache.metrics import Counters
from adapters.cache.options import CacheOptions
from adapters.cache.tiered import TieredCache
from application.ports.clock import Clock, MonotonicClock


class MemoryCache(TieredCache):
    """Tags and deletions reach this process only: with several processes, cap ``max_ttl``."""

    def __init__(
        self,
        *,
        clock: Clock,
        monotonic: MonotonicClock,
        max_entries: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        options: CacheOptions | None = None,
    ) -> None:
        counters = Counters()
        super().__init__(
            local=LocalLayer(max_entries=max_entries, max_bytes=max_bytes, counters=counters),
            shared=None,
            codec=ValueCodec(),
            clock=clock,
            monotonic=monotonic,
            counters=counters,
            options=options or CacheOptions(),
        )

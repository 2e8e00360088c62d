"""The counters of one cache instance (plain integers: one event loop updates them)."""

from __future__ import annotations

from application.ports.cache import CacheStats


class Counters:
    """Every count CacheStats reports, except sizes and the breaker's, which are read live."""

    __slots__ = (
        "invalidations",
        "l1_drops",
        "l1_evictions",
        "l1_hits",
        "l2_errors",
        "l2_hits",
        "loader_calls",
        "loader_errors",
        "lock_waits",
        "misses",
        "refresh_failures",
        "refreshes",
        "stale_served",
    )

    def __init__(self) -> None:
        self.l1_hits = self.l2_hits = self.misses = self.stale_served = 0
        self.refreshes = self.refresh_failures = self.loader_calls = self.loader_errors = 0
        self.lock_waits = self.l1_evictions = self.l1_drops = self.l2_errors = self.invalidations = 0

    def snapshot(
        self, *, l1_entries: int, l1_bytes: int, breaker_state: str, breaker_opened: int
    ) -> CacheStats:
        return CacheStats(
            **{name: getattr(self, name) for name in self.__slots__},
            l1_entries=l1_entries,
            l1_bytes=l1_bytes,
            breaker_state=breaker_state,
            breaker_opened=breaker_opened,
        )

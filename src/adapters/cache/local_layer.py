"""The in-process layer (L1): bounded, least recently used out, per-entry expiry, O(1) tags."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from adapters.cache.metrics import Counters

ENTRY_OVERHEAD = 240  # bytes an entry costs beyond its encoded value (dict slot, entry, key)
MAX_TAGS = 100_000  # tag epochs kept before everything is dropped and they start over

TagSnapshot = tuple[int, tuple[tuple[str, int], ...]]


class LocalEntry:
    """One value: ``value`` is the kept instance and ``copy`` makes a caller's private copy of
    it, or ``value`` is encoded and ``copy`` None (decode per caller). Monotonic seconds."""

    __slots__ = ("copy", "expires_at", "fresh_until", "generation", "size", "tags", "value")

    def __init__(
        self,
        value: Any,
        copy: Callable[[Any], Any] | None,
        *,
        size: int,
        fresh_until: float,
        expires_at: float,
        snapshot: TagSnapshot,
    ) -> None:
        self.value = value
        self.copy = copy
        self.size = size + ENTRY_OVERHEAD
        self.fresh_until = fresh_until
        self.expires_at = expires_at
        self.generation, self.tags = snapshot


class LocalLayer:
    """Holds at most ``max_entries`` values and ``max_bytes`` bytes, dropping the least recently
    used first. Tags are epochs: invalidating a tag bumps its epoch (O(1)); an entry remembers
    the epochs of its tags as they were *before* its value was read, so a value read while its
    tag was being invalidated is never served. ``clear`` drops everything, including values
    still being read (they carry the previous generation)."""

    def __init__(self, *, max_entries: int, max_bytes: int, counters: Counters) -> None:
        self._entries: OrderedDict[str, LocalEntry] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._epochs: dict[str, int] = {}
        self._generation = 0
        self._counters = counters

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: str, now: float) -> LocalEntry | None:
        """The live entry of ``key`` (fresh or stale), or None (absent, expired, invalidated)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= now or not self._current(entry):
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def _current(self, entry: LocalEntry) -> bool:
        if entry.generation != self._generation:
            return False
        epochs = self._epochs
        for tag, epoch in entry.tags:  # noqa: SIM110 - a loop, not all(generator): it runs on every hit
            if epochs.get(tag, 0) != epoch:
                return False
        return True

    def snapshot(self, tags: Iterable[str]) -> TagSnapshot:
        """Take before reading a value from anywhere; give to the entry that value becomes."""
        epochs = self._epochs
        return self._generation, tuple((tag, epochs.get(tag, 0)) for tag in tags)

    def put(self, key: str, entry: LocalEntry) -> None:
        if not self._current(entry) or entry.size > self._max_bytes or self._max_entries <= 0:
            return
        if key in self._entries:
            self._remove(key)
        self._entries[key] = entry
        self._bytes += entry.size
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size
            self._counters.l1_evictions += 1

    def delete(self, *keys: str) -> None:
        for key in keys:
            if key in self._entries:
                self._remove(key)

    def bump(self, tags: Iterable[str]) -> None:
        epochs = self._epochs
        for tag in tags:
            epochs[tag] = epochs.get(tag, 0) + 1
        if len(epochs) > MAX_TAGS:
            self.clear()

    def clear(self) -> None:
        """Drop every entry, and every value still being read (it carries the old generation)."""
        if self._entries:
            self._counters.l1_drops += 1
        self._entries.clear()
        self._bytes = 0
        self._epochs.clear()
        self._generation += 1

    def _remove(self, key: str) -> None:
        self._bytes -= self._entries.pop(key).size

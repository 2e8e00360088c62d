"""The counters of one cache instance (plain integers: one event loop updates them)."""

from __future__ import annotations

from dataclasses import fields

from application.ports.cache import CacheStats

_COUNTED = tuple(
    f.name for f in fields(CacheStats) if f.name not in ("l1_entries", "l1_bytes", "breaker_state")
)


class Counters:
    """Every count CacheStats reports except sizes and the breaker's state."""

    __slots__ = _COUNTED

    def __init__(self) -> None:
        for name in _COUNTED:
            setattr(self, name, 0)

    def snapshot(self, **extra: int | str) -> CacheStats:
        values: dict[str, int | str] = {name: getattr(self, name) for name in _COUNTED}
        return CacheStats(**(values | extra))  # type: ignore[arg-type]

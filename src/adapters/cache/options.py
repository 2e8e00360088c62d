"""How a TieredCache behaves (CacheOptions) and keeps values of a type in L1 (Handling)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.cache.copying import Copier, identity


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheOptions:
    """``lock_seconds``: how long one process's loader holds a key's lock; ``lock_wait_seconds``:
    how long the others wait for its value before loading themselves; ``max_ttl`` caps every
    entry (processes without a shared layer cannot tell each other about writes);
    ``offline_ttl``: while the invalidation channel is down, an L1 entry is fresh that long at
    most (then refreshed in the background) and lives twice that at most: what this process may
    have missed is served for seconds, not for a whole ttl."""

    lock_seconds: float = 2.0
    lock_wait_seconds: float = 0.25
    refresh_backoff_seconds: float = 1.0
    max_ttl: float | None = None
    offline_ttl: float = 5.0


@dataclass(frozen=True, slots=True)
class Handling:
    """How L1 keeps values of one type: one instance copied per caller (``copier``), or encoded
    and decoded per caller (``copier`` None)."""

    returns: Any
    copier: Copier | None

    def keep(self, value: Any, encoded: bytes, *, owned: bool) -> Any:
        copier = self.copier
        if copier is None:
            return encoded
        return value if owned or copier is identity else copier(value)


def family(key: str) -> str:
    """What a log line may say about a key: its first segment (keys hold ids, never PHI)."""
    return key.split(":", 1)[0]

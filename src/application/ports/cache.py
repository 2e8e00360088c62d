"""The cache port: read-through caching of domain values, with policies, tags and compliance.

Data is cached, never responses: a use case caches what it read from its repositories and
checks access on every call, on the cached object. Keys name what was read and never hold PHI
(ids are fine; hash anything a person could be recognised by); a tenant's data keys always
include its clinic.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Protocol, TypeVar

T = TypeVar("T")

Loader = Callable[[], Awaitable[T | None]]

RESTRICTED_MAX_TTL = 60.0
"""Seconds a ``restricted`` value may live, whatever its policy asks."""


class Compliance(StrEnum):
    """Where a value may be kept.

    - ``standard``: in-process (L1) and in the shared cache server (L2).
    - ``sensitive`` (PHI): as standard, but encrypted (AES-256-GCM, PHI key ring) before it
      leaves the process; without a cipher it stays in-process.
    - ``restricted``: in-process only, for at most RESTRICTED_MAX_TTL seconds.
    """

    STANDARD = "standard"
    SENSITIVE = "sensitive"
    RESTRICTED = "restricted"


@dataclass(frozen=True, slots=True, kw_only=True)
class CachePolicy:
    """How long and where a value is cached.

    A value is fresh for ``stale_time`` seconds (default ``ttl / 2``), then stale until ``ttl``:
    a stale value is served at once while one background refresh runs, and keeps being served
    until ``ttl`` if that refresh fails. ``ttl == 0`` caches nothing. ``tags`` name what the
    value was read from; invalidating a tag drops every value carrying it. ``compress`` allows
    compressing the shared copy above the adapter's size threshold. Raises ValueError for a
    negative ttl or a stale time outside ``0..ttl``.
    """

    ttl: float
    stale_time: float | None = None
    tags: tuple[str, ...] = ()
    compress: bool = True
    compliance: Compliance = Compliance.STANDARD

    def __post_init__(self) -> None:
        if self.ttl < 0:
            raise ValueError("ttl must be >= 0")
        if self.compliance is Compliance.RESTRICTED and self.ttl > RESTRICTED_MAX_TTL:
            object.__setattr__(self, "ttl", RESTRICTED_MAX_TTL)
        stale = self.ttl / 2 if self.stale_time is None else min(self.stale_time, self.ttl)
        if stale < 0:
            raise ValueError("stale_time must be >= 0")
        object.__setattr__(self, "stale_time", stale)

    @property
    def fresh_for(self) -> float:
        """Seconds a new value is fresh (``stale_time`` once resolved)."""
        return self.stale_time if self.stale_time is not None else self.ttl / 2

    def tagged(self, *tags: str) -> CachePolicy:
        return replace(self, tags=tags)


# The TTL guide: realtime data is never cached; the others differ in how long a value lives.
REALTIME = CachePolicy(ttl=0)
EMERGENCY = CachePolicy(ttl=300)
FREQUENT = CachePolicy(ttl=600)
SEMI_STATIC = CachePolicy(ttl=3600)
STATIC = CachePolicy(ttl=86_400)


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStats:
    """Counters of one process since it started, plus the state of its shared layer."""

    l1_hits: int = 0
    l2_hits: int = 0
    misses: int = 0
    stale_served: int = 0
    refreshes: int = 0
    refresh_failures: int = 0
    loader_calls: int = 0
    loader_errors: int = 0
    lock_waits: int = 0
    l1_evictions: int = 0
    l1_drops: int = 0
    l1_entries: int = 0
    l1_bytes: int = 0
    l2_errors: int = 0
    invalidations: int = 0
    breaker_state: str = "none"
    breaker_opened: int = 0

    def as_dict(self) -> dict[str, int | str]:
        return asdict(self)


class Cache(Protocol):
    """A read-through cache of domain values.

    Contract for every adapter (tests/contract/test_contract_cache.py):
    - A loader returning None means "nothing there": None is returned and never cached.
    - Callers never share a mutable object: each call gets its own copy (or an immutable value).
    - The shared layer failing (unreachable, frozen, refusing) never raises and never blocks past
      its timeout: the in-process layer and the loader serve. Loader errors propagate to the
      caller, except in a background refresh (counted, logged, the stale value kept).
    - ``returns`` is the type stored values decode to (a dataclass, a container of them, ...).
    """

    @abstractmethod
    async def get_or_load(
        self,
        key: str,
        loader: Loader[T],
        policy: CachePolicy,
        *,
        returns: type[T],
        refresh: Loader[T] | None = None,
    ) -> T | None:
        """The cached value of ``key``, or what ``loader`` returns (then cached under ``policy``).
        Concurrent misses of one key run one loader per process. ``refresh``, when given, is the
        loader for background refreshes: one that needs nothing from the caller's request."""
        ...

    @abstractmethod
    async def get(self, key: str, *, returns: type[T]) -> T | None:
        """The cached value, fresh or stale; None when absent, expired or invalidated."""
        ...

    @abstractmethod
    async def set(self, key: str, value: T, policy: CachePolicy) -> None: ...

    @abstractmethod
    async def delete(self, *keys: str) -> None:
        """Forget ``keys`` here and, through the shared layer, in every process."""
        ...

    @abstractmethod
    async def invalidate_tags(self, *tags: str) -> None:
        """Drop every value carrying any of ``tags``, in every process: O(1) per tag, whatever the
        number of values under it."""
        ...

    @abstractmethod
    def stats(self) -> CacheStats: ...


Owner = TypeVar("Owner")


class DetachedReads(Protocol):
    """Runs reads that belong to no request, for background cache refreshes.

    ``run(owner, work)`` resolves a fresh ``owner`` (a query use case) with resources of its own
    (its own database session, the system's tenant scope), calls ``work`` on it and releases
    them. A refresh must not touch the request that found the stale value: that request may be
    using its session at the same moment, or be gone. Access is not checked here: every caller
    checks it on the cached object."""

    @abstractmethod
    async def run(self, owner: type[Owner], work: Callable[[Owner], Awaitable[T]]) -> T: ...

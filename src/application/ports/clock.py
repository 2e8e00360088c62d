"""Time and identity ports, so tests control both."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID


class Clock(Protocol):
    @abstractmethod
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class IdGenerator(Protocol):
    @abstractmethod
    def new_id(self) -> UUID:
        """A new UUIDv7: time-ordered, so ids sort by creation and index well."""
        ...


class MonotonicClock(Protocol):
    @abstractmethod
    def monotonic(self) -> float:
        """Seconds since an arbitrary origin, never going back: for durations and deadlines
        within one process (a cache's expiry, a circuit breaker's window)."""
        ...

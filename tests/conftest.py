"""Fixtures shared by every test layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.system.ids import UuidV7Generator
from application.ports.clock import Clock


class ManualClock(Clock):
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ids() -> UuidV7Generator:
    return UuidV7Generator()

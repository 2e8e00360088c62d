"""Column values as the domain wants them."""

from __future__ import annotations

from typing import Any
from uuid import UUID


def as_uuid(value: Any) -> UUID:
    """A standard UUID from what a driver returns (asyncpg has its own subclass; SQLite text)."""
    return value if type(value) is UUID else UUID(str(value))


def as_optional_uuid(value: Any) -> UUID | None:
    return None if value is None else as_uuid(value)

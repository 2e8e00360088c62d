"""Keyset pages: ``limit`` items after an id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from domain.errors import ValidationFailed

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRequest:
    """``limit`` from 1 to MAX_LIMIT (ValidationFailed otherwise); ``after`` is the last id seen."""

    limit: int = DEFAULT_LIMIT
    after: UUID | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationFailed(details={"limit": f"expected an integer from 1 to {MAX_LIMIT}"})


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """``next_after`` is the id to continue after, or None on the last page."""

    items: Sequence[T]
    next_after: UUID | None


def page_of(rows: Sequence[T], page: PageRequest, key: Callable[[T], UUID]) -> Page[T]:
    """Build a page from up to ``limit + 1`` rows: the extra row only proves there is more."""
    items = rows[: page.limit]
    more = len(rows) > page.limit
    return Page(items=items, next_after=key(items[-1]) if more and items else None)

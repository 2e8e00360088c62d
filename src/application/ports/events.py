"""The domain-event outbox: events staged in the caller's unit of work, read by a dispatcher."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.events import DomainEvent


class EventOutbox(Protocol):
    @abstractmethod
    async def add(self, event: DomainEvent) -> None:
        """Stage ``event`` in the current unit of work: it exists once the unit commits and is
        gone if it rolls back."""
        ...


class EventFeed(Protocol):
    """The dispatcher's side: committed events not yet handled, oldest first."""

    @abstractmethod
    async def unpublished(self, *, limit: int) -> Sequence[DomainEvent]: ...

    @abstractmethod
    async def mark_published(self, event_ids: Collection[UUID], *, at: datetime) -> None:
        """Stage the marks in the current unit of work (with whatever the handling wrote)."""
        ...

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
    async def claim(self, *, limit: int, skip: Collection[UUID] = ()) -> Sequence[DomainEvent]:
        """Take for the current unit of work at most ``limit`` unpublished events, oldest first,
        that no other unit holds and whose subject has no older unpublished event (one subject's
        events are handled one at a time, in order), leaving out ``skip``. The hold ends with the
        unit: mark the events published in it to be done with them. PostgreSQL: row locks taken
        with SKIP LOCKED. SQLite: the write lock is taken first (the unit must start with the
        claim). Memory: a unit marking published an event another unit published since it
        claimed it fails on commit (VersionConflict), with everything it staged."""
        ...

    @abstractmethod
    async def mark_published(self, event_ids: Collection[UUID], *, at: datetime) -> None:
        """Stage the marks in the current unit of work (with whatever the handling wrote)."""
        ...

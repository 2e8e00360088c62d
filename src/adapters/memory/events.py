"""The domain-event outbox over the in-memory store."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from adapters.memory.store import InMemoryStore
from adapters.memory.uow import CommitCheck, InMemoryUnitOfWork
from application.ports.events import EventFeed, EventOutbox
from domain.errors import VersionConflict
from domain.events import DomainEvent

TABLE = "domain_events"


@dataclass(frozen=True, slots=True)
class EventRow:
    event: DomainEvent
    published_at: datetime | None = None


class InMemoryEventOutbox(EventOutbox, EventFeed):
    """Claims hold nothing in memory (units interleave only at awaits): a second unit that handled
    an event another already published fails on commit instead, and nothing it staged is kept."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow
        self._claimed: set[UUID] = set()

    async def add(self, event: DomainEvent) -> None:
        self._uow.stage(TABLE, (event.clinic_id, event.id), EventRow(event))

    async def unpublished(self, *, limit: int) -> Sequence[DomainEvent]:
        rows = [r for r in self._uow.rows(TABLE) if r.published_at is None]
        return [r.event for r in sorted(rows, key=lambda r: (r.event.occurred_at, r.event.id))][:limit]

    async def claim(self, *, limit: int, skip: Collection[UUID] = ()) -> Sequence[DomainEvent]:
        pending = await self.unpublished(limit=sys.maxsize)
        firsts: dict[tuple[UUID, UUID], DomainEvent] = {}
        for e in pending:
            firsts.setdefault((e.clinic_id, e.subject_id), e)
        taken = [e for e in firsts.values() if e.id not in skip][:limit]
        self._claimed.update(e.id for e in taken)
        return taken

    async def mark_published(self, event_ids: Collection[UUID], *, at: datetime) -> None:
        wanted = set(event_ids)
        for row in list(self._uow.rows(TABLE)):
            if row.event.id in wanted:
                key = (row.event.clinic_id, row.event.id)
                check = _still_unpublished(key) if row.event.id in self._claimed else None
                self._uow.stage(TABLE, key, dataclasses.replace(row, published_at=at), check)


def _still_unpublished(key: tuple[UUID, UUID]) -> CommitCheck:
    def check(store: InMemoryStore) -> None:
        row = store.table(TABLE).get(key)
        if row is not None and row.published_at is not None:
            raise VersionConflict()

    return check

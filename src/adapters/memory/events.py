"""The domain-event outbox over the in-memory store."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.events import EventFeed, EventOutbox
from domain.events import DomainEvent

TABLE = "domain_events"


@dataclass(frozen=True, slots=True)
class EventRow:
    event: DomainEvent
    published_at: datetime | None = None


class InMemoryEventOutbox(EventOutbox, EventFeed):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, event: DomainEvent) -> None:
        self._uow.stage(TABLE, (event.clinic_id, event.id), EventRow(event))

    async def unpublished(self, *, limit: int) -> Sequence[DomainEvent]:
        rows = [r for r in self._uow.rows(TABLE) if r.published_at is None]
        return [r.event for r in sorted(rows, key=lambda r: (r.event.occurred_at, r.event.id))][:limit]

    async def mark_published(self, event_ids: Collection[UUID], *, at: datetime) -> None:
        wanted = set(event_ids)
        for row in list(self._uow.rows(TABLE)):
            if row.event.id in wanted:
                key = (row.event.clinic_id, row.event.id)
                self._uow.stage(TABLE, key, dataclasses.replace(row, published_at=at))

"""The domain-event outbox over SQLAlchemy: events inserted in the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.errors import translated
from adapters.sql.event_records import DomainEventRow
from adapters.sql.values import as_uuid
from application.ports.events import EventFeed, EventOutbox
from domain.events import DomainEvent, EventKind


class SqlEventOutbox(EventOutbox, EventFeed):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, event: DomainEvent) -> None:
        async with translated(self._session):
            await self._session.execute(
                insert(DomainEventRow).values(
                    clinic_id=event.clinic_id,
                    id=event.id,
                    kind=event.kind.value,
                    subject_id=event.subject_id,
                    occurred_at=event.occurred_at,
                    data=dict(event.data),
                    published_at=None,
                )
            )

    async def unpublished(self, *, limit: int) -> Sequence[DomainEvent]:
        table = DomainEventRow.__table__
        statement = (
            select(table)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.occurred_at, table.c.id)
            .limit(limit)
        )
        async with translated(self._session):
            rows = (await self._session.execute(statement)).all()
        return [
            DomainEvent(
                id=as_uuid(r.id),
                clinic_id=as_uuid(r.clinic_id),
                kind=EventKind(r.kind),
                subject_id=as_uuid(r.subject_id),
                occurred_at=r.occurred_at,
                data={str(k): str(v) for k, v in (r.data or {}).items()},
            )
            for r in rows
        ]

    async def mark_published(self, event_ids: Collection[UUID], *, at: datetime) -> None:
        if not event_ids:
            return
        table = DomainEventRow.__table__
        async with translated(self._session):
            await self._session.execute(
                update(table).where(table.c.id.in_(list(event_ids))).values(published_at=at)
            )

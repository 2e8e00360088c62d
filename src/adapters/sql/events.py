"""The domain-event outbox over SQLAlchemy: events inserted in the caller's transaction.

Claiming (the dispatcher), PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` in the caller's
transaction. Concurrent dispatchers skip each other's locked events instead of waiting; an event
another one published meanwhile is re-checked against the WHERE clause and dropped; an event whose
subject has an older unpublished event (held by someone else, or not) waits for it. SQLite: no row
locks, one writer: ``BEGIN IMMEDIATE`` takes the write lock before the claim reads, so claims run
one after the other (a plain read first keeps an idle dispatcher off the write lock).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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
        return [_event(r) for r in rows]

    async def claim(self, *, limit: int, skip: Collection[UUID] = ()) -> Sequence[DomainEvent]:
        if limit <= 0:
            return []
        table = DomainEventRow.__table__
        older = aliased(DomainEventRow)
        blocked = exists().where(
            older.clinic_id == table.c.clinic_id,
            older.subject_id == table.c.subject_id,
            older.published_at.is_(None),
            or_(
                older.occurred_at < table.c.occurred_at,
                and_(older.occurred_at == table.c.occurred_at, older.id < table.c.id),
            ),
        )
        eligible = [table.c.published_at.is_(None), ~blocked]
        if skip:
            eligible.append(table.c.id.not_in(list(skip)))
        statement = select(table).where(*eligible).order_by(table.c.occurred_at, table.c.id).limit(limit)
        async with translated(self._session):
            if self._session.get_bind().dialect.name == "postgresql":
                statement = statement.with_for_update(skip_locked=True, of=table)
            else:
                probe = select(table.c.id).where(table.c.published_at.is_(None)).limit(1)
                if (await self._session.execute(probe)).first() is None:
                    return []
                await self._session.rollback()
                await self._session.execute(text("BEGIN IMMEDIATE"))
            rows = (await self._session.execute(statement)).all()
        return [_event(r) for r in rows]

    async def mark_published(self, event_ids: Collection[UUID], *, at: datetime) -> None:
        if not event_ids:
            return
        statement = update(DomainEventRow).where(DomainEventRow.id.in_(list(event_ids)))
        async with translated(self._session):
            await self._session.execute(statement.values(published_at=at))


def _event(r: Any) -> DomainEvent:
    return DomainEvent(
        id=as_uuid(r.id),
        clinic_id=as_uuid(r.clinic_id),
        kind=EventKind(r.kind),
        subject_id=as_uuid(r.subject_id),
        occurred_at=r.occurred_at,
        data={str(k): str(v) for k, v in (r.data or {}).items()},
    )

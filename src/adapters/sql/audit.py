"""AuditReader over SQLAlchemy: the entries of the request's own scope."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.audit_chain import ENTRY_COLUMNS, sealed_of
from adapters.sql.audit_records import AuditEntryRecord
from adapters.sql.errors import translated
from application.ports.audit import AuditQuery, AuditReader
from domain.audit import AuditEntry
from domain.audit_chain import SealedEntry

_ENTRIES = AuditEntryRecord.__table__


class SqlAuditReader(AuditReader):
    """``entries`` approximates the order written by (occurred_at, id): ids are UUIDv7."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def entries(self, *, clinic_id: UUID | None = None, limit: int = 100) -> Sequence[AuditEntry]:
        stmt = (
            select(*ENTRY_COLUMNS).order_by(_ENTRIES.c.occurred_at.desc(), _ENTRIES.c.id.desc()).limit(limit)
        )
        if clinic_id is not None:
            stmt = stmt.where(_ENTRIES.c.clinic_id == clinic_id)
        async with translated(self._session):
            rows = (await self._session.execute(stmt)).mappings().all()
        return [sealed_of(row).entry for row in reversed(rows)]

    async def search(self, query: AuditQuery, *, after: UUID | None, limit: int) -> Sequence[SealedEntry]:
        c = _ENTRIES.c
        clinic = c.clinic_id.is_(None) if query.clinic_id is None else c.clinic_id == query.clinic_id
        stmt = select(*ENTRY_COLUMNS).where(clinic).order_by(c.id).limit(limit)
        for column, value in (
            (c.resource_type, query.resource_type),
            (c.resource_id, query.resource_id),
            (c.actor_id, query.actor_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if after is not None:
            stmt = stmt.where(c.id > after)
        if query.since is not None:
            stmt = stmt.where(c.occurred_at >= query.since)
        if query.until is not None:
            stmt = stmt.where(c.occurred_at < query.until)
        async with translated(self._session):
            rows = (await self._session.execute(stmt)).mappings().all()
        return [sealed_of(row) for row in rows]

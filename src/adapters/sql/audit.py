"""AuditReader over SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.errors import translated
from adapters.sql.mappers import audit_entry_of
from adapters.sql.records import AuditEntryRecord
from application.ports.audit import AuditReader
from domain.audit import AuditEntry


class SqlAuditReader(AuditReader):
    """The order written is approximated by (occurred_at, id): ids are UUIDv7, time-ordered."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def entries(self, *, clinic_id: UUID | None = None, limit: int = 100) -> Sequence[AuditEntry]:
        stmt = (
            select(AuditEntryRecord)
            .order_by(AuditEntryRecord.occurred_at.desc(), AuditEntryRecord.id.desc())
            .limit(limit)
        )
        if clinic_id is not None:
            stmt = stmt.where(AuditEntryRecord.clinic_id == clinic_id)
        async with translated(self._session):
            records = (await self._session.scalars(stmt)).all()
        return [audit_entry_of(record) for record in reversed(records)]

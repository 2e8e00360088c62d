"""UnitOfWork over an SQLAlchemy AsyncSession: the business rows and their audit entries commit together."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.errors import translated
from adapters.sql.mappers import audit_row
from adapters.sql.records import AuditEntryRecord
from application.ports.uow import UnitOfWork
from domain.audit import AuditEntry


class SqlUnitOfWork(UnitOfWork):
    """One transaction on ``session``, shared with the request's repositories. Whoever opened the
    session closes it; closing without ``commit`` rolls everything back."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._audit: list[AuditEntry] = []

    def record(self, *entries: AuditEntry) -> None:
        self._audit.extend(entries)

    async def commit(self) -> None:
        entries, self._audit = self._audit, []
        async with translated(self._session):
            if entries:
                await self._session.execute(insert(AuditEntryRecord), [audit_row(e) for e in entries])
            await self._session.commit()

    async def rollback(self) -> None:
        self._audit.clear()
        await self._session.rollback()

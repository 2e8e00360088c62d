"""AuditReader over SQLAlchemy: the entries of the request's own scope."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, false, or_, select
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
        if query.resources is not None:
            stmt = stmt.where(_any_resource(query.resources))
        async with translated(self._session):
            rows = (await self._session.execute(stmt)).mappings().all()
        return [sealed_of(row) for row in rows]


def _any_resource(resources: frozenset[tuple[str, str]]) -> ColumnElement[bool]:
    """One ``resource_type = t AND resource_id IN (...)`` per type: each part uses the index led
    by (clinic_id, resource_type, resource_id)."""
    c = _ENTRIES.c
    by_type: dict[str, list[str]] = {}
    for kind, rid in sorted(resources):
        by_type.setdefault(kind, []).append(rid)
    if not by_type:
        return false()
    return or_(*((c.resource_type == kind) & c.resource_id.in_(rids) for kind, rids in by_type.items()))

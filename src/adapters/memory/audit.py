"""AuditReader over the in-memory store."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from adapters.memory.store import InMemoryStore
from application.ports.audit import AuditReader
from domain.audit import AuditEntry


class InMemoryAuditReader(AuditReader):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def entries(self, *, clinic_id: UUID | None = None, limit: int = 100) -> Sequence[AuditEntry]:
        rows = [e for e in self._store.audit if clinic_id is None or e.clinic_id == clinic_id]
        return rows[-limit:]

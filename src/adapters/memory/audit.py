"""AuditReader and PhiReadAudit over the in-memory store."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from adapters.memory.audit_chain import append_sealed, sealed_entries
from adapters.memory.store import InMemoryStore
from application.ports.audit import AuditQuery, AuditReader, PhiReadAudit
from domain.audit import AuditEntry, chain_of
from domain.audit_chain import ChainSealer, SealedEntry


class InMemoryAuditReader(AuditReader):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def entries(self, *, clinic_id: UUID | None = None, limit: int = 100) -> Sequence[AuditEntry]:
        rows = [e for e in self._store.audit if clinic_id is None or e.clinic_id == clinic_id]
        return rows[-limit:]

    async def search(self, query: AuditQuery, *, after: UUID | None, limit: int) -> Sequence[SealedEntry]:
        rows = [
            sealed
            for sealed in sealed_entries(self._store, chain_of(query.clinic_id))
            if (after is None or sealed.entry.id > after) and _matches(sealed.entry, query)
        ]
        return sorted(rows, key=lambda sealed: sealed.entry.id)[:limit]


def _matches(entry: AuditEntry, query: AuditQuery) -> bool:
    return (
        (query.resource_type is None or entry.resource_type == query.resource_type)
        and (query.resource_id is None or entry.resource_id == query.resource_id)
        and (query.actor_id is None or entry.actor_id == query.actor_id)
        and (query.since is None or entry.occurred_at >= query.since)
        and (query.until is None or entry.occurred_at < query.until)
        and (query.resources is None or (entry.resource_type, entry.resource_id) in query.resources)
    )


class InMemoryPhiReadAudit(PhiReadAudit):
    """Appends at once: the memory store has no crash to survive, so nothing is buffered."""

    def __init__(self, store: InMemoryStore, sealer: ChainSealer) -> None:
        self._store = store
        self._sealer = sealer

    async def record(self, *entries: AuditEntry) -> None:
        append_sealed(self._store, self._sealer, entries)
        self._store.audit.extend(entries)

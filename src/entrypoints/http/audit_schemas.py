"""Response bodies of the audit trail. Entries are shown without their hashes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.audit_chain import SealedEntry
from entrypoints.http.schemas import Out


class AuditEntryOut(Out):
    id: UUID
    chain: str
    sequence: int
    occurred_at: datetime
    actor_id: UUID | None
    actor_role: str | None
    action: str
    resource_type: str
    resource_id: str
    clinic_id: UUID | None
    patient_id: UUID | None
    outcome: str
    request_id: str | None
    client_ip: str | None
    changed_fields: list[str]

    @classmethod
    def of(cls, sealed: SealedEntry) -> AuditEntryOut:
        entry = sealed.entry
        return cls(
            id=entry.id,
            chain=entry.chain,
            sequence=sealed.sequence,
            occurred_at=entry.occurred_at,
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            action=entry.action,
            resource_type=entry.resource_type,
            resource_id=entry.resource_id,
            clinic_id=entry.clinic_id,
            patient_id=entry.patient_id,
            outcome=entry.outcome.value,
            request_id=entry.request_id,
            client_ip=entry.client_ip,
            changed_fields=list(entry.changed_fields),
        )


class AuditEntryListOut(Out):
    items: list[AuditEntryOut]
    next_cursor: str | None

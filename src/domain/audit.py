"""The audit trail's entries: who did what to which resource, in which clinic, with what outcome.

Rules:
- An entry never holds PHI: resources and patients are named by type and id, a change by the
  names of the fields it changed, never their values.
- Every entry belongs to one chain: its clinic's, or the platform's when it has no clinic.
- A denied attempt is described by a Denial, carried by the error the caller sees, and audited
  with outcome DENIED in a transaction of its own (the denied work itself is rolled back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

PLATFORM_CHAIN = "platform"


class Outcome(StrEnum):
    SUCCESS = "SUCCESS"
    DENIED = "DENIED"
    ERROR = "ERROR"


def chain_of(clinic_id: UUID | None) -> str:
    """The chain of a clinic's entries, or of the platform's (no clinic)."""
    return str(clinic_id) if clinic_id is not None else PLATFORM_CHAIN


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One audited action. ``actor_id`` is None for the system itself (seeding, the CLI before an
    admin exists); ``actor_role`` is SUPER_ADMIN or the actor's role in the entry's clinic, None
    when they hold none there. ``client_ip`` is None outside HTTP requests."""

    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    action: str
    resource_type: str
    resource_id: str
    clinic_id: UUID | None
    request_id: str | None
    outcome: Outcome = Outcome.SUCCESS
    actor_role: str | None = None
    patient_id: UUID | None = None
    client_ip: str | None = None
    changed_fields: tuple[str, ...] = ()

    @property
    def chain(self) -> str:
        return chain_of(self.clinic_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Denial:
    """What to audit about a refused attempt: who tried which action on what. The error raised
    for the refusal carries it (``DomainError.denial``); the unit of work records it."""

    actor_id: UUID
    actor_role: str | None
    request_id: str | None
    client_ip: str | None
    action: str
    resource_type: str
    resource_id: str
    clinic_id: UUID | None
    patient_id: UUID | None = None

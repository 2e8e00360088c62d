"""The audit trail's entries: who did what to which resource, in which clinic, with what outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Outcome(StrEnum):
    SUCCESS = "SUCCESS"
    DENIED = "DENIED"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One audited action. ``actor_id`` is None for the system itself (seeding, the CLI before an
    admin exists). Never holds PHI: resources are named by type and id only."""

    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    action: str
    resource_type: str
    resource_id: str
    clinic_id: UUID | None
    request_id: str | None
    outcome: Outcome = Outcome.SUCCESS

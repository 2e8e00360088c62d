"""Patients' consents, kept as a history: a revocation is a new record, nothing is overwritten.

Rules:
- A consent is active from when it was recorded until it expires (if it has an end) or a later
  record revokes it.
- Staff reach a patient's PHI only under an active ``treatment`` consent; no WhatsApp message
  goes to a patient without an active ``whatsapp_notifications`` consent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class ConsentScope(StrEnum):
    TREATMENT = "treatment"
    DATA_SHARING = "data_sharing"
    WHATSAPP_NOTIFICATIONS = "whatsapp_notifications"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentRecord:
    """A grant (``revokes`` None) or the revocation of an earlier grant (``revokes`` its id)."""

    id: UUID
    clinic_id: UUID
    patient_id: UUID
    scope: ConsentScope
    recorded_at: datetime
    recorded_by: UUID
    expires_at: datetime | None = None
    revokes: UUID | None = None

    @property
    def is_grant(self) -> bool:
        return self.revokes is None


def active_grants(history: Iterable[ConsentRecord], now: datetime) -> list[ConsentRecord]:
    """Grants in ``history`` not revoked and not expired at ``now``."""
    records = list(history)
    revoked = {r.revokes for r in records if r.revokes is not None}
    return [
        r
        for r in records
        if r.is_grant
        and r.id not in revoked
        and r.recorded_at <= now
        and (r.expires_at is None or now < r.expires_at)
    ]


def has_active(history: Iterable[ConsentRecord], scope: ConsentScope, now: datetime) -> bool:
    return any(r.scope is scope for r in active_grants(history, now))


@dataclass(frozen=True, slots=True, kw_only=True)
class EmergencyGrant:
    """Break-glass: a doctor's time-boxed access to one patient outside the normal policy."""

    id: UUID
    clinic_id: UUID
    patient_id: UUID
    granted_to: UUID
    reason: str
    granted_at: datetime
    expires_at: datetime

    def is_active(self, now: datetime) -> bool:
        return self.granted_at <= now < self.expires_at

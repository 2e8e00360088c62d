"""Break-glass: a doctor's time-boxed access to a patient outside the normal policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from application.access import require_for_patient
from application.auditing import AuditEntries
from application.consent.patients import require_patient
from application.ports.clock import Clock, IdGenerator
from application.ports.consent import EmergencyGrantRepository
from application.ports.repositories import MembershipRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.consent import EmergencyGrant
from domain.errors import PatientNotFound, ValidationFailed

MAX_EMERGENCY_ACCESS = timedelta(minutes=60)


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestEmergencyAccessCommand:
    clinic_id: UUID
    patient_id: UUID
    reason: str
    minutes: int = 60


class RequestEmergencyAccess:
    """Open a break-glass grant.

    - Doctors of the clinic only, whatever their locations or the patient's consents: that is
      what break-glass is for. The reason is required (3 to 500 characters).
    - The grant lasts at most 60 minutes and ends by itself.
    - Audited as EMERGENCY_ACCESS_GRANTED (high severity); the clinical-core reads made under it
      are marked as such in the audit trail.
    """

    def __init__(
        self,
        memberships: MembershipRepository,
        grants: EmergencyGrantRepository,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
    ) -> None:
        self._memberships = memberships
        self._grants = grants
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: RequestEmergencyAccessCommand, actor: Actor) -> EmergencyGrant:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: RequestEmergencyAccessCommand, actor: Actor) -> EmergencyGrant:
        require_for_patient(
            actor, Action.REQUEST_EMERGENCY_ACCESS, cmd.clinic_id, cmd.patient_id, PatientNotFound()
        )
        await require_patient(self._memberships, cmd.clinic_id, cmd.patient_id)
        reason = cmd.reason.strip()
        if not 3 <= len(reason) <= 500:
            raise ValidationFailed(details={"reason": "expected 3 to 500 characters"})
        if not 1 <= cmd.minutes <= MAX_EMERGENCY_ACCESS.total_seconds() // 60:
            raise ValidationFailed(details={"minutes": "expected 1 to 60"})
        now = self._clock.now()
        grant = EmergencyGrant(
            id=self._ids.new_id(),
            clinic_id=cmd.clinic_id,
            patient_id=cmd.patient_id,
            granted_to=actor.user_id,
            reason=reason,
            granted_at=now,
            expires_at=now + timedelta(minutes=cmd.minutes),
        )
        await self._grants.add(grant)
        self._uow.record(
            self._audit.entry(
                actor, "EMERGENCY_ACCESS_GRANTED", "patient", cmd.patient_id, clinic_id=cmd.clinic_id
            )
        )
        await self._uow.commit()
        return grant

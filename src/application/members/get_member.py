"""Read one membership of a clinic."""

from __future__ import annotations

from uuid import UUID

from application.access import require_in_clinic
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.ports.audit import PhiReadAudit
from application.ports.repositories import MembershipRepository
from domain.access import Action, Actor
from domain.errors import UserNotFound
from domain.identity import Membership, Role


class GetMember:
    """Read one member of a clinic.

    - Staff of the clinic and super admins may read it (as for the member list); a refusal is
      audited (DENIED).
    - A user who is not a member of this clinic is USER_NOT_FOUND here, and so is everything for
      someone outside the clinic: ids of another clinic reveal nothing.
    - That someone is a patient of a clinic is PHI: every read is audited (VIEW_MEMBER, on the
      clinic's chain, naming the patient when the member is one).
    """

    def __init__(
        self,
        memberships: MembershipRepository,
        audit: AuditEntries,
        phi_reads: PhiReadAudit,
        denied: DeniedAttempts,
    ) -> None:
        self._memberships = memberships
        self._audit = audit
        self._phi_reads = phi_reads
        self._denied = denied

    async def __call__(self, clinic_id: UUID, user_id: UUID, actor: Actor) -> Membership:
        return await self._denied.guard(lambda: self._read(clinic_id, user_id, actor))

    async def _read(self, clinic_id: UUID, user_id: UUID, actor: Actor) -> Membership:
        require_in_clinic(
            actor, Action.VIEW_MEMBERS, clinic_id, UserNotFound(), resource=("membership", user_id)
        )
        membership = await self._memberships.get(clinic_id, user_id)
        if membership is None:
            raise UserNotFound()
        patient = membership.user_id if membership.role is Role.PATIENT else None
        entry = self._audit.entry(
            actor, "VIEW_MEMBER", "membership", user_id, clinic_id=clinic_id, patient_id=patient
        )
        await self._phi_reads.record(entry)
        return membership

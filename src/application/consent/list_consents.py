"""A patient's consent history."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.access import require_for_patient
from application.audit.denials import DeniedAttempts
from application.consent.patients import require_patient
from application.ports.consent import ConsentRepository
from application.ports.repositories import MembershipRepository
from domain.access import Action, Actor
from domain.consent import ConsentRecord
from domain.errors import PatientNotFound


class ListConsents:
    """The whole history, grants and revocations, oldest first: the patient and clinic staff."""

    def __init__(
        self, memberships: MembershipRepository, consents: ConsentRepository, denied: DeniedAttempts
    ) -> None:
        self._memberships = memberships
        self._consents = consents
        self._denied = denied

    async def __call__(self, clinic_id: UUID, patient_id: UUID, actor: Actor) -> Sequence[ConsentRecord]:
        return await self._denied.guard(lambda: self._list(clinic_id, patient_id, actor))

    async def _list(self, clinic_id: UUID, patient_id: UUID, actor: Actor) -> Sequence[ConsentRecord]:
        require_for_patient(actor, Action.VIEW_CONSENTS, clinic_id, patient_id, PatientNotFound())
        await require_patient(self._memberships, clinic_id, patient_id)
        return await self._consents.history(clinic_id, patient_id)

"""A patient's consent history."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.access import require_for_patient
from application.consent.patients import require_patient
from application.ports.consent import ConsentRepository
from application.ports.repositories import MembershipRepository
from domain.access import Action, Actor
from domain.consent import ConsentRecord
from domain.errors import PatientNotFound


class ListConsents:
    """The whole history, grants and revocations, oldest first: the patient and clinic staff."""

    def __init__(self, memberships: MembershipRepository, consents: ConsentRepository) -> None:
        self._memberships = memberships
        self._consents = consents

    async def __call__(self, clinic_id: UUID, patient_id: UUID, actor: Actor) -> Sequence[ConsentRecord]:
        require_for_patient(actor, Action.VIEW_CONSENTS, clinic_id, patient_id, PatientNotFound())
        await require_patient(self._memberships, clinic_id, patient_id)
        return await self._consents.history(clinic_id, patient_id)

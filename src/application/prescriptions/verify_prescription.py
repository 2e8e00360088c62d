"""Verify that a stored prescription version still matches its content hash."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import require_for_patient
from application.audit.denials import DeniedAttempts
from application.ports.prescriptions import ContentUnreadable, PrescriptionRepository, StoredVersion
from application.prescriptions.common import find_stored
from domain.access import Action, Actor
from domain.errors import PrescriptionNotFound
from domain.prescriptions import HASH_ALGORITHM, Prescription


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    prescription_id: UUID
    valid: bool
    content_hash: str  # as stored
    algorithm: str = HASH_ALGORITHM


class VerifyPrescription:
    """Say whether a version is intact.

    - Valid when its sealed content opens, the SHA-256 of its canonical encoding (recomputed from
      the decrypted content and the stored columns) equals the stored hash, and the previous
      version's stored hash is the one this version was chained to.
    - Whoever may read the prescription asks (VIEW_PRESCRIPTIONS: the patient, the clinic's
      doctors); no consent is needed: the answer carries no PHI, so it is no PHI read.
    """

    def __init__(self, prescriptions: PrescriptionRepository, denied: DeniedAttempts) -> None:
        self._prescriptions = prescriptions
        self._denied = denied

    async def __call__(self, prescription_id: UUID, actor: Actor) -> Verification:
        return await self._denied.guard(lambda: self._verify(prescription_id, actor))

    async def _verify(self, prescription_id: UUID, actor: Actor) -> Verification:
        found = await find_stored(self._prescriptions, actor, prescription_id)
        require_for_patient(
            actor, Action.VIEW_PRESCRIPTIONS, found.clinic_id, found.patient_id, PrescriptionNotFound()
        )
        valid = isinstance(found, Prescription) and found.is_intact() and await self._chained(found)
        return Verification(prescription_id=found.id, valid=valid, content_hash=found.content_hash)

    async def _chained(self, version: Prescription) -> bool:
        if version.previous_id is None:
            return version.version == 1 and version.previous_hash is None and version.lineage_id == version.id
        try:
            previous: Prescription | StoredVersion | None = await self._prescriptions.get(
                version.clinic_id, version.previous_id
            )
        except ContentUnreadable as unreadable:
            previous = unreadable.stored
        return previous is not None and previous.content_hash == version.previous_hash

"""Delete a patient's record (softly: it is kept for the retention period)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import require_for_patient
from application.auditing import AuditEntries
from application.ports.clock import Clock
from application.ports.patients import PatientRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.errors import PatientNotFound, VersionConflict


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletePatientCommand:
    clinic_id: UUID
    patient_id: UUID
    expected_version: int | None = None


class DeletePatient:
    """Delete a patient's record.

    - Clinic admins of the clinic only (DELETE_PATIENT); outsiders and patients get
      PATIENT_NOT_FOUND, other staff INSUFFICIENT_PERMISSIONS; refusals audited.
    - The record is marked deleted (when, by whom) and vanishes from reads and searches
      (PATIENT_NOT_FOUND afterwards, a second delete included); it is kept sealed until
      ``healthcare records purge`` removes it after the retention period
      (SECURITY_RECORDS_RETENTION_DAYS). The user and their membership stay: appointments,
      prescriptions and consents keep naming them.
    - With ``expected_version`` (If-Match) a stale version is VERSION_CONFLICT. Audited
      (DELETE_PATIENT).
    """

    def __init__(
        self, patients: PatientRepository, uow: UnitOfWork, clock: Clock, audit: AuditEntries
    ) -> None:
        self._patients = patients
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: DeletePatientCommand, actor: Actor) -> None:
        await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: DeletePatientCommand, actor: Actor) -> None:
        require_for_patient(actor, Action.DELETE_PATIENT, cmd.clinic_id, cmd.patient_id, PatientNotFound())
        patient = await self._patients.get(cmd.clinic_id, cmd.patient_id)
        if patient is None:
            raise PatientNotFound()
        if cmd.expected_version is not None and cmd.expected_version != patient.version:
            raise VersionConflict()
        read_version = patient.version
        patient.delete(at=self._clock.now(), by=actor.user_id)
        await self._patients.soft_delete(patient, expected_version=read_version)
        self._uow.record(
            self._audit.entry(
                actor,
                "DELETE_PATIENT",
                "patient",
                patient.id,
                clinic_id=cmd.clinic_id,
                patient_id=patient.id,
            )
        )
        await self._uow.commit()

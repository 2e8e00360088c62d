"""Change a patient's record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.access import require_for_patient
from application.auditing import AuditEntries, changed_fields, vars_of
from application.patients.phi_reads import VIEW_PATIENT, clinic_today, gate_phi_read, raw_fields, read_action
from application.ports.audit import PhiReadAudit
from application.ports.clock import Clock
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from application.ports.patients import PatientRepository
from application.ports.repositories import ClinicRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.errors import PatientNotFound, ValidationFailed, VersionConflict
from domain.patients import Patient, patient_details

EDITABLE = frozenset(
    {"name", "date_of_birth", "phone", "email", "address", "emergency_contact", "allergies", "notes"}
)
REQUIRED = frozenset({"name", "date_of_birth"})


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatePatientCommand:
    """``changes``: only the fields to change, by Python name; None clears an optional field."""

    clinic_id: UUID
    patient_id: UUID
    changes: dict[str, Any] = field(default_factory=dict)
    expected_version: int | None = None


class UpdatePatient:
    """Change a patient's record.

    - Doctors and receptionists of the clinic, and the patient themselves; staff also need what
      reading the record needs (treatment consent or break-glass), as the answer is the record.
    - Only the fields sent change; name and date of birth cannot be cleared; the result is
      validated as a whole (a phone or an email stays required).
    - With ``expected_version`` (If-Match) a stale version is VERSION_CONFLICT; of two writers on
      one version exactly one wins. A phone or email another record here holds is
      PATIENT_ALREADY_EXISTS.
    - Audited (UPDATE_PATIENT, naming the changed fields, never their values); the record
      returned is a PHI read, audited with its basis like GetPatient's.
    """

    def __init__(
        self,
        clinics: ClinicRepository,
        patients: PatientRepository,
        consents: ConsentRepository,
        grants: EmergencyGrantRepository,
        uow: UnitOfWork,
        clock: Clock,
        audit: AuditEntries,
        phi_reads: PhiReadAudit,
    ) -> None:
        self._clinics = clinics
        self._patients = patients
        self._consents = consents
        self._grants = grants
        self._uow = uow
        self._clock = clock
        self._audit = audit
        self._phi_reads = phi_reads

    async def __call__(self, cmd: UpdatePatientCommand, actor: Actor) -> Patient:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: UpdatePatientCommand, actor: Actor) -> Patient:
        clinic_id, patient_id = cmd.clinic_id, cmd.patient_id
        require_for_patient(actor, Action.UPDATE_PATIENT, clinic_id, patient_id, PatientNotFound())
        patient = await self._patients.get(clinic_id, patient_id)
        if patient is None:
            raise PatientNotFound()
        now = self._clock.now()
        access = await gate_phi_read(
            actor,
            clinic_id,
            patient_id,
            consents=self._consents,
            grants=self._grants,
            now=now,
            action=Action.UPDATE_PATIENT,
        )
        if cmd.expected_version is not None and cmd.expected_version != patient.version:
            raise VersionConflict()
        unknown = set(cmd.changes) - EDITABLE
        cleared = {k for k in REQUIRED if k in cmd.changes and cmd.changes[k] is None}
        if unknown or cleared:
            raise ValidationFailed(
                details={k: "cannot be changed or cleared" for k in sorted(unknown | cleared)}
            )
        clinic = await self._clinics.get(clinic_id)
        details = patient_details(
            {**raw_fields(patient), **cmd.changes},
            today=clinic_today(now, clinic.time_zone if clinic else None),
        )
        read_version, before = patient.version, vars_of(patient)
        patient.change(details, at=now, by=actor.user_id)
        await self._patients.update(patient, expected_version=read_version)
        changed = changed_fields(before, vars_of(patient), ignore=("version", "updated_at", "updated_by"))
        self._uow.record(
            self._audit.entry(
                actor,
                "UPDATE_PATIENT",
                "patient",
                patient_id,
                clinic_id=clinic_id,
                patient_id=patient_id,
                changed_fields=changed,
            )
        )
        await self._uow.commit()
        await self._phi_reads.record(
            self._audit.entry(
                actor,
                read_action(VIEW_PATIENT, access),
                "patient",
                patient_id,
                clinic_id=clinic_id,
                patient_id=patient_id,
            )
        )
        return patient

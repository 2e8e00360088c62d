"""Change a doctor's profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.access import require_in_clinic
from application.auditing import AuditEntries
from application.doctors.access import existing_doctor, require_doctor_change
from application.ports.clock import Clock
from application.ports.doctors import DoctorRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.doctors import Doctor, revised
from domain.errors import DoctorNotFound, VersionConflict

# Command fields and their names in the audit trail's ``changed_fields`` (the API's names).
PROFILE_FIELDS = {
    "specialty": "specialty",
    "licence_number": "licenceNumber",
    "display_name": "displayName",
    "bio": "bio",
    "slot_minutes": "slotMinutes",
    "active": "active",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateDoctorCommand:
    """None leaves a field as it is; an empty ``bio`` clears it."""

    clinic_id: UUID
    doctor_id: UUID
    expected_version: int | None = None
    specialty: str | None = None
    licence_number: str | None = None
    display_name: str | None = None
    bio: str | None = None
    slot_minutes: int | None = None
    active: bool | None = None


class UpdateDoctor:
    """Change a doctor's profile.

    - Clinic admins (and super admins) change any field of any doctor of the clinic; a doctor
      changes their own specialty, bio and slot length, never their licence number or whether
      they are active (INSUFFICIENT_PERMISSIONS). Outsiders get DOCTOR_NOT_FOUND.
    - With ``expected_version`` (If-Match), a stale version is VERSION_CONFLICT; of two writers
      racing on one version exactly one wins.
    - A request that changes nothing writes nothing. A change is audited as UPDATE_DOCTOR,
      naming the fields changed (not their values).
    """

    def __init__(self, doctors: DoctorRepository, uow: UnitOfWork, clock: Clock, audit: AuditEntries) -> None:
        self._doctors = doctors
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: UpdateDoctorCommand, actor: Actor) -> Doctor:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: UpdateDoctorCommand, actor: Actor) -> Doctor:
        resource = ("doctor", cmd.doctor_id)
        require_in_clinic(actor, Action.VIEW_DOCTORS, cmd.clinic_id, DoctorNotFound(), resource=resource)
        doctor = await existing_doctor(self._doctors, cmd.clinic_id, cmd.doctor_id)
        changes: dict[str, Any] = {
            name: getattr(cmd, name)
            for name in PROFILE_FIELDS
            if getattr(cmd, name) is not None and getattr(cmd, name) != getattr(doctor, name)
        }
        require_doctor_change(actor, cmd.clinic_id, cmd.doctor_id, changes)
        if cmd.expected_version is not None and cmd.expected_version != doctor.version:
            raise VersionConflict()
        updated = revised(doctor, at=self._clock.now(), by=actor.user_id, **changes)
        changed = sorted(
            PROFILE_FIELDS[name] for name in changes if getattr(updated, name) != getattr(doctor, name)
        )
        if not changed:
            return doctor
        await self._doctors.update(updated, expected_version=doctor.version)
        self._uow.record(
            self._audit.entry(
                actor, "UPDATE_DOCTOR", "doctor", doctor.id, clinic_id=cmd.clinic_id, changed_fields=changed
            )
        )
        await self._uow.commit()
        return updated

"""Remove a period of time off."""

from __future__ import annotations

from uuid import UUID

from application.auditing import AuditEntries
from application.doctors.access import existing_doctor, require_doctor_change
from application.ports.doctors import DoctorRepository, TimeOffRepository
from application.ports.uow import UnitOfWork
from domain.access import Actor
from domain.errors import TimeOffNotFound


class RemoveTimeOff:
    """Remove time off.

    - Who may add a doctor's time off may remove it.
    - An id that is not a period of this doctor of this clinic is TIME_OFF_NOT_FOUND.
    - Audited as REMOVE_TIME_OFF on the doctor, so cached availability of the doctor is dropped.
    """

    def __init__(
        self, doctors: DoctorRepository, time_off: TimeOffRepository, uow: UnitOfWork, audit: AuditEntries
    ) -> None:
        self._doctors = doctors
        self._time_off = time_off
        self._uow = uow
        self._audit = audit

    async def __call__(self, clinic_id: UUID, doctor_id: UUID, time_off_id: UUID, actor: Actor) -> None:
        await self._uow.run(lambda: self._execute(clinic_id, doctor_id, time_off_id, actor))

    async def _execute(self, clinic_id: UUID, doctor_id: UUID, time_off_id: UUID, actor: Actor) -> None:
        require_doctor_change(actor, clinic_id, doctor_id, ("time_off",))
        await existing_doctor(self._doctors, clinic_id, doctor_id)
        if not await self._time_off.remove(clinic_id, doctor_id, time_off_id):
            raise TimeOffNotFound()
        self._uow.record(
            self._audit.entry(
                actor,
                "REMOVE_TIME_OFF",
                "doctor",
                doctor_id,
                clinic_id=clinic_id,
                changed_fields=("timeOff",),
            )
        )
        await self._uow.commit()

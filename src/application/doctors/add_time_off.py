"""Add a period of time off to a doctor's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.auditing import AuditEntries
from application.doctors.access import existing_doctor, require_doctor_change
from application.ports.clock import Clock, IdGenerator
from application.ports.doctors import DoctorRepository, TimeOffRepository
from application.ports.uow import UnitOfWork
from domain.access import Actor
from domain.doctors import TimeOff, time_off_interval


@dataclass(frozen=True, slots=True, kw_only=True)
class AddTimeOffCommand:
    clinic_id: UUID
    doctor_id: UUID
    starts_at: datetime
    ends_at: datetime
    reason: str | None = None


class AddTimeOff:
    """Add time off.

    - Clinic admins (and super admins) for any doctor of the clinic, a doctor for themselves;
      outsiders get DOCTOR_NOT_FOUND, other members INSUFFICIENT_PERMISSIONS.
    - Times carry a time zone; the end is after the start, at most 366 days later; periods may
      overlap one another (each is removed on its own). The reason is at most 500 characters.
    - Audited as ADD_TIME_OFF on the doctor, so cached availability of the doctor is dropped.
      Booked appointments inside the period stay booked: the clinic decides what to do with them.
    """

    def __init__(
        self,
        doctors: DoctorRepository,
        time_off: TimeOffRepository,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
    ) -> None:
        self._doctors = doctors
        self._time_off = time_off
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: AddTimeOffCommand, actor: Actor) -> TimeOff:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: AddTimeOffCommand, actor: Actor) -> TimeOff:
        require_doctor_change(actor, cmd.clinic_id, cmd.doctor_id, ("time_off",))
        await existing_doctor(self._doctors, cmd.clinic_id, cmd.doctor_id)
        period = TimeOff(
            id=self._ids.new_id(),
            clinic_id=cmd.clinic_id,
            doctor_id=cmd.doctor_id,
            interval=time_off_interval(cmd.starts_at, cmd.ends_at),
            reason=cmd.reason,
            created_at=self._clock.now(),
            created_by=actor.user_id,
        )
        await self._time_off.add(period)
        self._uow.record(
            self._audit.entry(
                actor,
                "ADD_TIME_OFF",
                "doctor",
                cmd.doctor_id,
                clinic_id=cmd.clinic_id,
                changed_fields=("timeOff",),
            )
        )
        await self._uow.commit()
        return period

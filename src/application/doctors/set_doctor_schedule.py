"""Replace a doctor's weekly schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.auditing import AuditEntries
from application.doctors.access import existing_doctor, require_doctor_change
from application.ports.clock import Clock
from application.ports.doctors import DoctorRepository
from application.ports.repositories import LocationRepository
from application.ports.uow import UnitOfWork
from domain.access import Actor
from domain.doctors import Doctor, check_weekly_schedule, revised, wall_time
from domain.errors import ValidationFailed, VersionConflict
from domain.scheduling import WeeklyWindow


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowInput:
    """One weekly window as the client wrote it: ``weekday`` 0 is Monday, times are ``HH:MM``
    on the clinic's wall clock; ``location_id`` for working hours, None for breaks."""

    weekday: int
    start: str
    end: str
    location_id: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDoctorScheduleCommand:
    clinic_id: UUID
    doctor_id: UUID
    hours: tuple[WindowInput, ...]
    breaks: tuple[WindowInput, ...] = ()
    slot_minutes: int | None = None
    expected_version: int | None = None


def _windows(name: str, given: tuple[WindowInput, ...]) -> tuple[WeeklyWindow, ...]:
    windows = []
    for index, item in enumerate(given):
        field = f"{name}[{index}]"
        start, end = wall_time(item.start, f"{field}.start"), wall_time(item.end, f"{field}.end")
        try:
            windows.append(WeeklyWindow(item.weekday, start, end, item.location_id))
        except ValidationFailed:
            raise ValidationFailed(
                details={field: "expected a weekday 0 (Monday) to 6 and a start before the end"}
            ) from None
    return tuple(windows)


class SetDoctorSchedule:
    """Replace a doctor's weekly working hours and breaks (and optionally the slot length).

    - Clinic admins (and super admins) for any doctor of the clinic, a doctor for themselves;
      outsiders get DOCTOR_NOT_FOUND, other members INSUFFICIENT_PERMISSIONS.
    - Every working window names a location of this clinic (VALIDATION_ERROR naming the index
      otherwise); windows of one weekday do not overlap; breaks name no location; the slot
      length stays 10 to 120 minutes.
    - With ``expected_version`` (If-Match), a stale version is VERSION_CONFLICT.
    - Audited as SET_DOCTOR_SCHEDULE; cached availability of the doctor is dropped on commit.
    """

    def __init__(
        self,
        doctors: DoctorRepository,
        locations: LocationRepository,
        uow: UnitOfWork,
        clock: Clock,
        audit: AuditEntries,
    ) -> None:
        self._doctors = doctors
        self._locations = locations
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: SetDoctorScheduleCommand, actor: Actor) -> Doctor:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: SetDoctorScheduleCommand, actor: Actor) -> Doctor:
        require_doctor_change(actor, cmd.clinic_id, cmd.doctor_id, ("hours", "breaks", "slot_minutes"))
        doctor = await existing_doctor(self._doctors, cmd.clinic_id, cmd.doctor_id)
        if any(item.location_id is None for item in cmd.hours):
            index = next(i for i, item in enumerate(cmd.hours) if item.location_id is None)
            raise ValidationFailed(
                details={f"hours[{index}].locationId": "expected a location of this clinic"}
            )
        if any(item.location_id is not None for item in cmd.breaks):
            index = next(i for i, item in enumerate(cmd.breaks) if item.location_id is not None)
            raise ValidationFailed(details={f"breaks[{index}]": "a break applies at every location"})
        hours, breaks = _windows("hours", cmd.hours), _windows("breaks", cmd.breaks)
        check_weekly_schedule(hours, breaks)
        named = {w.location_id for w in hours if w.location_id is not None}
        known = await self._locations.existing_ids(cmd.clinic_id, named)
        for index, window in enumerate(hours):
            if window.location_id not in known:
                raise ValidationFailed(
                    details={f"hours[{index}].locationId": "expected a location of this clinic"}
                )
        if cmd.expected_version is not None and cmd.expected_version != doctor.version:
            raise VersionConflict()
        changes: dict[str, Any] = {"hours": hours, "breaks": breaks}
        if cmd.slot_minutes is not None:
            changes["slot_minutes"] = cmd.slot_minutes
        updated = revised(doctor, at=self._clock.now(), by=actor.user_id, **changes)
        await self._doctors.update(updated, expected_version=doctor.version)
        changed = [
            api
            for name, api in (("hours", "hours"), ("breaks", "breaks"), ("slot_minutes", "slotMinutes"))
            if getattr(updated, name) != getattr(doctor, name)
        ]
        self._uow.record(
            self._audit.entry(
                actor,
                "SET_DOCTOR_SCHEDULE",
                "doctor",
                doctor.id,
                clinic_id=cmd.clinic_id,
                changed_fields=changed,
            )
        )
        await self._uow.commit()
        return updated

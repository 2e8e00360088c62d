"""Move an appointment to another time (and optionally another location)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from application.appointments.lifecycle import (
    RESOURCE,
    AppointmentWrites,
    Change,
    TransitionCommand,
    iso,
)
from application.appointments.views import AppointmentView
from application.auditing import denial
from application.ports.doctors import DoctorRepository, TimeOffRepository
from domain.access import Action, Actor, Decision, decide
from domain.appointments import MAX_DURATION, MIN_DURATION, Appointment
from domain.errors import AppointmentSlotUnavailable, InsufficientPermissions, ValidationFailed
from domain.events import EventKind
from domain.scheduling import Interval, check_bookable


@dataclass(frozen=True, slots=True, kw_only=True)
class RescheduleAppointmentCommand(TransitionCommand):
    """``duration_minutes`` None keeps the current length; ``location_id`` None keeps the place."""

    starts_at: datetime
    duration_minutes: int | None = None
    location_id: UUID | None = None


def _wanted(cmd: RescheduleAppointmentCommand, appointment: Appointment) -> Interval:
    if cmd.starts_at.utcoffset() is None:
        raise ValidationFailed(
            details={"startsAt": "expected a time with a time zone, e.g. 2026-03-01T09:00:00Z"}
        )
    length = appointment.ends_at - appointment.starts_at
    if cmd.duration_minutes is not None:
        length = timedelta(minutes=cmd.duration_minutes)
        if not MIN_DURATION <= length <= MAX_DURATION:
            raise ValidationFailed(details={"durationMinutes": "expected 5 to 480 minutes"})
    return Interval(cmd.starts_at, cmd.starts_at + length)


def _others(busy: Sequence[Interval], own: Interval, active: bool) -> list[Interval]:
    """``busy`` without the appointment's own interval: one doctor's (or one patient's) active
    appointments never overlap, so the interval equal to its own is the appointment itself."""
    rest = list(busy)
    if active and own in rest:
        rest.remove(own)
    return rest


def _require_location(actor: Actor, appointment: Appointment, location_id: UUID) -> None:
    """Staff limited to locations move appointments only to one of theirs."""
    a = appointment
    action = Action.RESCHEDULE_APPOINTMENT
    if (
        decide(actor, action, a.clinic_id, patient_id=a.patient_id, location_id=location_id)
        is Decision.ALLOWED
    ):
        return
    refused = denial(actor, action, a.clinic_id, resource=(RESOURCE, a.id), patient_id=a.patient_id)
    raise InsufficientPermissions(denial=refused)


class RescheduleAppointment:
    """Move a BOOKED (or live HELD) appointment; the status stays.

    - The patient (their own), doctors and receptionists of the clinic, within their locations
      at both the old and the new location; a clinic admin gets INSUFFICIENT_PERMISSIONS;
      whoever may not see it APPOINTMENT_NOT_FOUND. Another status:
      APPOINTMENT_TRANSITION_NOT_ALLOWED; a lapsed hold: APPOINTMENT_HOLD_EXPIRED.
    - The new time is checked like a booking: in the past, outside the doctor's hours at that
      location, in a break or time off, or the doctor inactive: APPOINTMENT_SLOT_UNAVAILABLE;
      overlapping another active appointment of the doctor or of the patient (this one does not
      count): APPOINTMENT_CONFLICT.
    - One unit of work: the new slot is taken and the old one freed, or nothing changes. The
      repository's update decides under concurrency (an exclusion constraint on PostgreSQL).
    - ``expected_version`` (If-Match) guards against a change made since it was read.
    - Audited (RESCHEDULE_APPOINTMENT), emits appointment.rescheduled with the old and new times.
    """

    def __init__(
        self, writes: AppointmentWrites, doctors: DoctorRepository, time_off: TimeOffRepository
    ) -> None:
        self._writes = writes
        self._doctors = doctors
        self._time_off = time_off

    async def __call__(self, cmd: RescheduleAppointmentCommand, actor: Actor) -> AppointmentView:
        async def apply(appointment: Appointment, now: datetime) -> Change:
            return await self._move(cmd, actor, appointment, now)

        return await self._writes(cmd, actor, Action.RESCHEDULE_APPOINTMENT, apply)

    async def _move(
        self, cmd: RescheduleAppointmentCommand, actor: Actor, appointment: Appointment, now: datetime
    ) -> Change:
        a = appointment
        wanted = _wanted(cmd, a)
        location = cmd.location_id or a.location_id
        if location != a.location_id:  # the new place must be within the caller's locations too
            _require_location(actor, a, location)
        before_location = a.location_id
        # The state machine first (a completed visit is not movable, whatever the time asked);
        # nothing is stored unless every check below passes.
        before = a.reschedule(wanted, location_id=location, by=actor.user_id, at=now)
        doctor = await self._doctors.get(a.clinic_id, a.doctor_id)
        if doctor is None or not doctor.active:
            raise AppointmentSlotUnavailable()
        clinic = await self._writes.clinics.get(a.clinic_id)
        zone = ZoneInfo(clinic.time_zone if clinic is not None else "UTC")
        schedule = doctor.schedule(await self._time_off.overlapping(a.clinic_id, a.doctor_id, wanted))
        active = a.is_active(now)
        repository = self._writes.appointments
        busy = _others(await repository.busy(a.clinic_id, a.doctor_id, wanted, now=now), before, active)
        busy += _others(
            await repository.patient_busy(a.clinic_id, a.patient_id, wanted, now=now), before, active
        )
        check_bookable(schedule, zone, wanted, busy, now=now, location_id=location)
        changed = ["ends_at", "starts_at"] + (["location_id"] if location != before_location else [])
        extra = {
            "previousStartsAt": iso(before.start),
            "previousEndsAt": iso(before.end),
            "previousLocationId": str(before_location),
        }
        return Change(EventKind.APPOINTMENT_RESCHEDULED, tuple(sorted(changed)), extra)

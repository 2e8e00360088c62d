"""Doctors of a clinic: their profile, weekly working hours and time off.

Rules:
- A doctor is a user who holds the DOCTOR role in the clinic; the profile shares the user's id.
- The default slot length is 10 to 120 minutes; working hours are weekly wall-clock windows per
  location in the clinic's time zone, breaks are weekly windows cut out of every location's hours,
  time off is an absolute UTC interval with its own id (added and removed one by one).
- ``version`` grows by one with every change of the profile or the weekly schedule (the ETag).
- Working windows of one weekday never overlap, whatever their locations: a doctor is in one
  place at a time. Breaks name no location.
- Time off is timezone-aware, ends after it starts and lasts at most MAX_TIME_OFF.
- Who may change a doctor: clinic admins (and super admins) anything; the doctor themselves their
  own profile, schedule and time off, except ADMIN_ONLY_FIELDS (``decide_doctor_change``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

from domain.access import Action, Actor, Decision, decide
from domain.errors import ValidationFailed
from domain.identity import Role
from domain.scheduling import Interval, Schedule, WeeklyWindow

MAX_TIME_OFF = timedelta(days=366)
MAX_WINDOWS = 100  # per list (hours, breaks): a week cut finer than this is a mistake
# What only a clinic admin may change, even on a doctor's own profile.
ADMIN_ONLY_FIELDS = frozenset({"licence_number", "active"})
_WALL_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def _text(value: str | None, field_name: str, limit: int) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) > limit:
        raise ValidationFailed(details={field_name: f"expected at most {limit} characters"})
    return text or None


@dataclass(slots=True, kw_only=True)
class Doctor:
    id: UUID
    clinic_id: UUID
    specialty: str
    licence_number: str
    display_name: str | None = None  # as patients see it ("Dr. Ana Reis"); business data, not PHI
    bio: str | None = None
    slot_minutes: int = 30
    hours: tuple[WeeklyWindow, ...] = ()
    breaks: tuple[WeeklyWindow, ...] = ()
    active: bool = True
    version: int = 1
    created_at: datetime
    updated_at: datetime
    created_by: UUID | None = None
    updated_by: UUID | None = None

    def __post_init__(self) -> None:
        specialty = _text(self.specialty, "specialty", 120)
        licence = _text(self.licence_number, "licenceNumber", 64)
        if specialty is None:
            raise ValidationFailed(details={"specialty": "expected 1 to 120 characters"})
        if licence is None:
            raise ValidationFailed(details={"licenceNumber": "expected 1 to 64 characters"})
        self.specialty, self.licence_number = specialty, licence
        self.bio = _text(self.bio, "bio", 2000)
        self.display_name = _text(self.display_name, "displayName", 200)
        if not 10 <= self.slot_minutes <= 120:
            raise ValidationFailed(details={"slotMinutes": "expected 10 to 120"})
        if any(w.location_id is None for w in self.hours):
            raise ValidationFailed(details={"hours": "every working window names its location"})

    def schedule(self, time_off: Iterable[TimeOff] = ()) -> Schedule:
        """The doctor's schedule for availability and booking checks, with ``time_off`` cut out."""
        return Schedule(
            slot_minutes=self.slot_minutes,
            hours=self.hours,
            breaks=self.breaks,
            time_off=tuple(t.interval for t in time_off),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeOff:
    id: UUID
    clinic_id: UUID
    doctor_id: UUID
    interval: Interval
    reason: str | None = None
    created_at: datetime
    created_by: UUID | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", _text(self.reason, "reason", 500))


def with_changes(doctor: Doctor, **changes: object) -> Doctor:
    """A copy of ``doctor`` with ``changes`` applied and validated (not yet versioned)."""
    values = {name: getattr(doctor, name) for name in Doctor.__dataclass_fields__}
    values.update(changes)
    return Doctor(**values)


def revised(doctor: Doctor, *, at: datetime, by: UUID, **changes: object) -> Doctor:
    """``with_changes`` as a new version: ``version`` + 1, stamped with when and by whom."""
    return with_changes(doctor, **changes, version=doctor.version + 1, updated_at=at, updated_by=by)


def decide_doctor_change(
    actor: Actor, clinic_id: UUID, doctor_id: UUID, fields: Collection[str] = ()
) -> Decision:
    """May ``actor`` change ``fields`` of doctor ``doctor_id`` (profile fields by their domain
    names, or ``hours``/``breaks``/``time_off``)? MANAGE_DOCTORS decides for everyone but the
    doctor themselves, who may change their own except ADMIN_ONLY_FIELDS. Outsiders are
    NOT_A_MEMBER; another doctor, a receptionist or a patient is ROLE_DENIED."""
    decision = decide(actor, Action.MANAGE_DOCTORS, clinic_id)
    if decision is not Decision.ROLE_DENIED:
        return decision
    own = actor.role_in(clinic_id) is Role.DOCTOR and actor.user_id == doctor_id
    if own and not ADMIN_ONLY_FIELDS & set(fields):
        return Decision.ALLOWED
    return Decision.ROLE_DENIED


def wall_time(text: str, field_name: str) -> time:
    """A wall-clock time written ``HH:MM`` (00:00 to 23:59)."""
    match = _WALL_TIME.fullmatch(text)
    if match is None:
        raise ValidationFailed(details={field_name: "expected a time of day as HH:MM, 00:00 to 23:59"})
    return time(int(match[1]), int(match[2]))


def check_weekly_schedule(hours: Sequence[WeeklyWindow], breaks: Sequence[WeeklyWindow]) -> None:
    """Refuse a week whose working windows overlap on one weekday (details name both indexes),
    breaks that name a location, and lists longer than MAX_WINDOWS."""
    for name, windows in (("hours", hours), ("breaks", breaks)):
        if len(windows) > MAX_WINDOWS:
            raise ValidationFailed(details={name: f"expected at most {MAX_WINDOWS} windows"})
    for index, window in enumerate(breaks):
        if window.location_id is not None:
            raise ValidationFailed(details={f"breaks[{index}]": "a break applies at every location"})
    for index, window in enumerate(hours):
        for earlier in range(index):
            other = hours[earlier]
            if other.weekday == window.weekday and other.start < window.end and window.start < other.end:
                raise ValidationFailed(
                    details={f"hours[{index}]": f"overlaps hours[{earlier}] on the same weekday"}
                )


def time_off_interval(starts_at: datetime, ends_at: datetime) -> Interval:
    """The UTC interval of a time-off period: timezone-aware, end after start, at most MAX_TIME_OFF."""
    for name, value in (("startsAt", starts_at), ("endsAt", ends_at)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationFailed(
                details={name: "expected a time with a time zone, e.g. 2026-03-01T09:00:00Z"}
            )
    if ends_at <= starts_at:
        raise ValidationFailed(details={"endsAt": "expected a time after startsAt"})
    if ends_at - starts_at > MAX_TIME_OFF:
        raise ValidationFailed(
            details={"endsAt": f"expected at most {MAX_TIME_OFF.days} days after startsAt"}
        )
    return Interval(starts_at.astimezone(UTC), ends_at.astimezone(UTC))


__all__ = [
    "ADMIN_ONLY_FIELDS",
    "MAX_TIME_OFF",
    "Doctor",
    "TimeOff",
    "check_weekly_schedule",
    "decide_doctor_change",
    "revised",
    "time_off_interval",
    "wall_time",
    "with_changes",
]

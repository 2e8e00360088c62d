"""Appointments and their lifecycle, as an explicit state machine.

Rules:
- An appointment is [starts_at, ends_at) in UTC with one doctor, one patient, at one location.
- HELD blocks the slot until ``hold_expires_at``; ``confirm`` before then makes it BOOKED, after
  it is APPOINTMENT_HOLD_EXPIRED. An unconfirmed hold lapses on its own (it stops being active).
- BOOKED -> CHECKED_IN -> COMPLETED; BOOKED or CHECKED_IN -> CANCELLED (reason, by whom) or
  NO_SHOW; a HELD appointment may be cancelled (released) too. Any other move is
  APPOINTMENT_TRANSITION_NOT_ALLOWED. Only BOOKED (or a live HELD) may be rescheduled.
- Active (blocking the doctor's and the patient's time): BOOKED, CHECKED_IN, and HELD until the
  hold expires. No two active appointments of one doctor, or of one patient, overlap: the domain
  check gives the helpful error, the database makes it true.
- ``version`` grows by one with every change (the ETag and the optimistic lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from domain.errors import AppointmentHoldExpired, AppointmentTransitionNotAllowed, ValidationFailed
from domain.scheduling import Interval

MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=8)


class AppointmentStatus(StrEnum):
    HELD = "HELD"
    BOOKED = "BOOKED"
    CHECKED_IN = "CHECKED_IN"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


class Transition(StrEnum):
    CONFIRM = "confirm"
    CHECK_IN = "check_in"
    COMPLETE = "complete"
    CANCEL = "cancel"
    NO_SHOW = "no_show"
    RESCHEDULE = "reschedule"


S = AppointmentStatus
# (from, transition) -> to. Reschedule keeps the status.
TRANSITIONS: dict[tuple[AppointmentStatus, Transition], AppointmentStatus] = {
    (S.HELD, Transition.CONFIRM): S.BOOKED,
    (S.HELD, Transition.CANCEL): S.CANCELLED,
    (S.HELD, Transition.RESCHEDULE): S.HELD,
    (S.BOOKED, Transition.CHECK_IN): S.CHECKED_IN,
    (S.BOOKED, Transition.CANCEL): S.CANCELLED,
    (S.BOOKED, Transition.NO_SHOW): S.NO_SHOW,
    (S.BOOKED, Transition.RESCHEDULE): S.BOOKED,
    (S.CHECKED_IN, Transition.COMPLETE): S.COMPLETED,
    (S.CHECKED_IN, Transition.CANCEL): S.CANCELLED,
    (S.CHECKED_IN, Transition.NO_SHOW): S.NO_SHOW,
}
ALWAYS_ACTIVE = frozenset({S.BOOKED, S.CHECKED_IN})


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancellation:
    reason: str | None
    by: UUID
    at: datetime


@dataclass(slots=True, kw_only=True)
class Appointment:
    id: UUID
    clinic_id: UUID
    location_id: UUID
    doctor_id: UUID
    patient_id: UUID
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    reason: str | None = None  # the patient's words: PHI, sealed at rest
    hold_expires_at: datetime | None = None
    cancellation: Cancellation | None = None
    version: int = 1
    created_at: datetime
    created_by: UUID
    updated_at: datetime
    updated_by: UUID

    def __post_init__(self) -> None:
        Interval(self.starts_at, self.ends_at)  # validates aware, ordered
        if not MIN_DURATION <= self.ends_at - self.starts_at <= MAX_DURATION:
            raise ValidationFailed(details={"durationMinutes": "expected 5 to 480 minutes"})
        if self.reason is not None:
            self.reason = self.reason.strip() or None
            if self.reason is not None and len(self.reason) > 1000:
                raise ValidationFailed(details={"reason": "expected at most 1000 characters"})
        if (self.status is S.HELD) != (self.hold_expires_at is not None):
            raise ValidationFailed(details={"hold": "a hold, and only a hold, has an expiry"})

    @property
    def interval(self) -> Interval:
        return Interval(self.starts_at, self.ends_at)

    def is_active(self, now: datetime) -> bool:
        if self.status in ALWAYS_ACTIVE:
            return True
        return self.status is S.HELD and self.hold_expires_at is not None and now < self.hold_expires_at

    def _move(self, transition: Transition, *, by: UUID, at: datetime) -> None:
        target = TRANSITIONS.get((self.status, transition))
        if target is None:
            raise AppointmentTransitionNotAllowed(
                f"An appointment that is {self.status.value} cannot {transition.value.replace('_', ' ')}.",
                details={"status": self.status.value, "transition": transition.value},
            )
        if self.status is S.HELD and not self.is_active(at) and transition is not Transition.CANCEL:
            raise AppointmentHoldExpired()
        self.status = target
        if target is not S.HELD:
            self.hold_expires_at = None
        self.version += 1
        self.updated_at, self.updated_by = at, by

    def confirm(self, *, by: UUID, at: datetime) -> None:
        self._move(Transition.CONFIRM, by=by, at=at)

    def check_in(self, *, by: UUID, at: datetime) -> None:
        self._move(Transition.CHECK_IN, by=by, at=at)

    def complete(self, *, by: UUID, at: datetime) -> None:
        self._move(Transition.COMPLETE, by=by, at=at)

    def mark_no_show(self, *, by: UUID, at: datetime) -> None:
        self._move(Transition.NO_SHOW, by=by, at=at)

    def cancel(self, *, reason: str | None, by: UUID, at: datetime) -> None:
        text = reason.strip() if reason else None
        if text is not None and len(text) > 500:
            raise ValidationFailed(details={"reason": "expected at most 500 characters"})
        self._move(Transition.CANCEL, by=by, at=at)
        self.cancellation = Cancellation(reason=text or None, by=by, at=at)

    def reschedule(self, to: Interval, *, location_id: UUID | None, by: UUID, at: datetime) -> Interval:
        """Move to ``to`` (and ``location_id`` when given); returns the interval it left. The
        caller checks the new time is bookable; the repository's update enforces no overlap."""
        before = self.interval
        self._move(Transition.RESCHEDULE, by=by, at=at)
        self.starts_at, self.ends_at = to.start, to.end
        if location_id is not None:
            self.location_id = location_id
        self.__post_init__()
        return before

"""What a patient is told about their appointments and prescriptions, and when.

Rules:
- Reminders go out a fixed duration before the start (24 h and 2 h by default): durations, not
  wall-clock times, so a 24 h reminder across a daylight-saving change is still 24 h before.
- No reminder is sent in the clinic's quiet hours (its own time zone, e.g. 21:00-08:00): one due
  inside them is moved *earlier*, to the last minute before the quiet period began, so it is
  never later than the appointment and never wakes anyone. Moving it later could push a 2 h
  reminder past the start of an 08:30 appointment.
- A reminder whose time has already passed when it is scheduled is not sent (a booking made
  three hours ahead gets its confirmation and the 2 h reminder, not a late 24 h one).
- Confirmations and cancellations answer something that just happened: they go at once, quiet
  hours or not.
- WhatsApp only with the patient's active ``whatsapp_notifications`` consent and a phone
  number; otherwise email when there is an address; otherwise nothing.
- Content carries the minimum: the clinic's name, a clinic-local date and time, a link. Never
  the reason for a visit, a doctor, a diagnosis or a medication.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.errors import ValidationFailed
from domain.messaging import Channel

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily quiet period in local wall time, from ``start`` (inclusive) to ``end`` (exclusive);
    it wraps midnight when ``start`` > ``end`` (21:00-08:00). ``start == end``: no quiet hours."""

    start: time
    end: time

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if value.tzinfo is not None or value.second or value.microsecond:
                raise ValidationFailed(details={name: "expected a local time in whole minutes"})

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def contains(self, local: time) -> bool:
        if not self.enabled:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def began(self, local: datetime) -> date:
        """The local date on which the quiet period holding ``local`` began."""
        wraps = self.start > self.end
        if wraps and local.time() < self.end:
            return local.date() - timedelta(days=1)
        return local.date()


def parse_clock_time(text: str) -> time:
    """``HH:MM`` (24-hour) as a time; ValueError otherwise."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or len(minutes) != 2 or not hours.isdigit() or not minutes.isdigit():
        raise ValueError("expected HH:MM")
    return time(int(hours), int(minutes))


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderPolicy:
    """When reminders go out: ``windows`` before the start, outside ``quiet`` hours."""

    windows: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    quiet: QuietHours = QuietHours(time(21, 0), time(8, 0))

    def __post_init__(self) -> None:
        if any(w <= timedelta(0) for w in self.windows) or len(set(self.windows)) != len(self.windows):
            raise ValidationFailed(details={"windows": "expected distinct positive durations"})


def _local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``at`` on ``day`` in ``zone``. A wall time that a spring
    change skips is read with the offset before the change (PEP 495, fold=0), which lands inside
    the hour that did happen."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def outside_quiet_hours(due: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """``due`` when it is outside the quiet hours in ``zone``; otherwise the last minute before
    the quiet period that holds it began (always earlier than ``due``)."""
    local = due.astimezone(zone)
    if not quiet.contains(local.time()):
        return due
    began = _local_instant(quiet.began(local), quiet.start, zone)
    return began - MINUTE


def reminder_times(
    starts_at: datetime, zone: ZoneInfo, policy: ReminderPolicy, *, now: datetime
) -> dict[timedelta, datetime]:
    """For each window, when its reminder goes out (UTC); windows whose time has passed at
    ``now`` are left out."""
    found: dict[timedelta, datetime] = {}
    for window in policy.windows:
        at = outside_quiet_hours(starts_at - window, zone, policy.quiet)
        if now < at < starts_at:
            found[window] = at
    return found


@dataclass(frozen=True, slots=True)
class Recipient:
    channel: Channel
    address: str  # an email address or an E.164 phone number: PHI, never logged


def choose_recipient(*, phone: str | None, email: str | None, whatsapp_consent: bool) -> Recipient | None:
    """WhatsApp with consent and a phone; else email when there is one; else None."""
    if whatsapp_consent and phone:
        return Recipient(Channel.WHATSAPP, phone)
    if email:
        return Recipient(Channel.EMAIL, email)
    return None


def local_time_text(at: datetime, zone: ZoneInfo) -> str:
    """``Mon 30 Mar 2026, 09:30 (Europe/Berlin)``: the clinic's wall time, labelled."""
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone.key})"


# Idempotency keys. Notices are keyed by what they announce; reminders by appointment, start time,
# window and channel, so a moved appointment gets fresh reminders and a replayed event none.
def reminder_prefix(appointment_id: UUID) -> str:
    return f"appointment:{appointment_id}:reminder:"


def reminder_key(appointment_id: UUID, starts_at: datetime, window: timedelta, channel: Channel) -> str:
    minutes = int(window.total_seconds() // 60)
    start = starts_at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return f"{reminder_prefix(appointment_id)}{start}:{minutes}m:{channel.value}"


def confirmation_key(appointment_id: UUID, starts_at: datetime) -> str:
    return f"appointment:{appointment_id}:confirmation:{starts_at.astimezone(UTC):%Y%m%dT%H%MZ}"


def moved_key(appointment_id: UUID, event_id: UUID) -> str:
    return f"appointment:{appointment_id}:moved:{event_id}"


def cancellation_key(appointment_id: UUID) -> str:
    return f"appointment:{appointment_id}:cancellation"


def prescription_notice_key(prescription_id: UUID) -> str:
    return f"prescription:{prescription_id}:notice"

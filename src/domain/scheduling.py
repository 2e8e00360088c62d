"""Doctors' working time and free slots, in the clinic's time zone, correct across DST.

Rules:
- Working hours are weekly wall-clock windows per location in the clinic's time zone; breaks are
  weekly wall-clock windows cut out of them; time off is an absolute UTC interval.
- Each window's start and end are placed on the calendar in the clinic's zone, then turned into
  UTC, and slots are stepped in real (UTC) time from the start: on the night clocks go forward a
  window is an hour shorter, on the night they go back an hour longer, exactly as the doctor
  actually works. A wall time that does not exist (02:30 on a spring-forward night) is read as
  the instant the clock shows it after the jump (PEP 495, fold 0).
- A slot is free when it lies inside a window, outside every break and time off, after ``now``,
  and overlaps no busy interval (active appointments and holds). Intervals are half-open.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.errors import AppointmentConflict, AppointmentSlotUnavailable, ValidationFailed

MAX_RANGE = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class Interval:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None or self.end <= self.start:
            raise ValidationFailed(details={"interval": "expected a timezone-aware start before its end"})

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """``weekday`` 0 is Monday; ``start`` < ``end`` on one day (no windows over midnight)."""

    weekday: int
    start: time
    end: time
    location_id: UUID | None = None  # None for breaks: a break applies at every location

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6 or self.start >= self.end:
            raise ValidationFailed(details={"hours": "expected a weekday 0-6 and a start before the end"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    slot_minutes: int
    hours: tuple[WeeklyWindow, ...]
    breaks: tuple[WeeklyWindow, ...] = ()
    time_off: tuple[Interval, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not 10 <= self.slot_minutes <= 120:
            raise ValidationFailed(details={"slotMinutes": "expected 10 to 120"})


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC
    local_start: datetime  # the same instant on the clinic's wall clock
    location_id: UUID | None


def _place(day: date, window: WeeklyWindow, zone: ZoneInfo) -> Interval:
    start = datetime.combine(day, window.start, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day, window.end, tzinfo=zone).astimezone(UTC)
    return Interval(start, end)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def working_intervals(
    schedule: Schedule, zone: ZoneInfo, span: Interval, location_id: UUID | None = None
) -> Iterator[tuple[Interval, UUID | None]]:
    """(interval, location) pairs of working time overlapping ``span``, before breaks."""
    first = span.start.astimezone(zone).date() - timedelta(days=1)
    last = span.end.astimezone(zone).date()
    for day in _days(first, last):
        for window in schedule.hours:
            if window.weekday == day.weekday() and (location_id is None or window.location_id == location_id):
                placed = _place(day, window, zone)
                if placed.overlaps(span):
                    yield placed, window.location_id


def _blocked(schedule: Schedule, zone: ZoneInfo, candidate: Interval) -> bool:
    day = candidate.start.astimezone(zone).date()
    for near in (day - timedelta(days=1), day):
        for window in schedule.breaks:
            if window.weekday == near.weekday() and _place(near, window, zone).overlaps(candidate):
                return True
    return any(off.overlaps(candidate) for off in schedule.time_off)


def free_slots(
    schedule: Schedule,
    zone: ZoneInfo,
    span: Interval,
    busy: Iterable[Interval],
    *,
    now: datetime,
    location_id: UUID | None = None,
) -> list[Slot]:
    """Free slots starting inside ``span`` (at most 31 days), in time order."""
    if span.end - span.start > MAX_RANGE:
        raise ValidationFailed(details={"to": "expected at most 31 days after from"})
    taken = sorted(busy, key=lambda i: i.start)
    length = timedelta(minutes=schedule.slot_minutes)
    found: list[Slot] = []
    for window, location in working_intervals(schedule, zone, span, location_id):
        start = window.start
        while start + length <= window.end:
            candidate = Interval(start, start + length)
            if (
                span.start <= start < span.end
                and start >= now
                and not _blocked(schedule, zone, candidate)
                and not any(b.overlaps(candidate) for b in taken)
            ):
                found.append(
                    Slot(
                        candidate.start, candidate.end, start.astimezone(zone).replace(tzinfo=None), location
                    )
                )
            start += length
    return sorted(found, key=lambda s: s.start)


def check_bookable(
    schedule: Schedule,
    zone: ZoneInfo,
    wanted: Interval,
    busy: Sequence[Interval],
    *,
    now: datetime,
    location_id: UUID | None,
) -> None:
    """Raise APPOINTMENT_SLOT_UNAVAILABLE when ``wanted`` is in the past, outside the doctor's
    hours at that location, in a break or time off; APPOINTMENT_CONFLICT when it overlaps a busy
    interval. Any start inside working hours is bookable, not only the slot grid's."""
    if wanted.start < now:
        raise AppointmentSlotUnavailable("This time is in the past. Please choose a future slot.")
    inside = any(
        w.start <= wanted.start and wanted.end <= w.end
        for w, _ in working_intervals(schedule, zone, wanted, location_id)
    )
    if not inside or _blocked(schedule, zone, wanted):
        raise AppointmentSlotUnavailable()
    if any(b.overlaps(wanted) for b in busy):
        raise AppointmentConflict()

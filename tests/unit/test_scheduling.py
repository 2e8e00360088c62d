"""Free slots and bookability in the clinic's time zone, across both daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.errors import AppointmentConflict, AppointmentSlotUnavailable, ValidationFailed
from domain.scheduling import Interval, Schedule, WeeklyWindow, check_bookable, free_slots

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
MAIN, ANNEX = uuid4(), uuid4()
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def every_day(start: time, end: time, location=MAIN) -> tuple[WeeklyWindow, ...]:
    return tuple(WeeklyWindow(day, start, end, location) for day in range(7))


def day_span(zone: ZoneInfo, y: int, m: int, d: int) -> Interval:
    start = datetime(y, m, d, tzinfo=zone)
    return Interval(start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC))


def test_a_plain_day_in_local_time_returned_in_utc() -> None:
    schedule = Schedule(
        slot_minutes=30, hours=every_day(time(9), time(12)), breaks=(WeeklyWindow(2, time(10), time(10, 30)),)
    )
    slots = free_slots(schedule, BERLIN, day_span(BERLIN, 2026, 6, 3), [], now=LONG_AGO)  # a Wednesday
    assert [s.local_start.time() for s in slots] == [
        time(9),
        time(9, 30),
        time(10, 30),
        time(11),
        time(11, 30),
    ]
    assert slots[0].start == datetime(2026, 6, 3, 7, 0, tzinfo=UTC)  # CEST is UTC+2
    assert all(s.location_id == MAIN for s in slots)


def test_spring_forward_night_the_missing_hour_yields_no_slots() -> None:
    # 2026-03-08 in New York: 02:00 becomes 03:00. A window 01:00-04:00 is two real hours.
    schedule = Schedule(slot_minutes=60, hours=every_day(time(1), time(4)))
    slots = free_slots(schedule, NEW_YORK, day_span(NEW_YORK, 2026, 3, 8), [], now=LONG_AGO)
    assert [s.local_start.time() for s in slots] == [time(1), time(3)]
    assert [s.start.hour for s in slots] == [6, 7]  # 01:00 EST = 06:00Z, 03:00 EDT = 07:00Z


def test_fall_back_night_the_repeated_hour_is_worked_twice() -> None:
    # 2026-11-01 in New York: 02:00 goes back to 01:00. A window 00:00-03:00 is four real hours.
    schedule = Schedule(slot_minutes=60, hours=every_day(time(0), time(3)))
    slots = free_slots(schedule, NEW_YORK, day_span(NEW_YORK, 2026, 11, 1), [], now=LONG_AGO)
    assert [s.start.hour for s in slots] == [4, 5, 6, 7]
    assert [s.local_start.time() for s in slots] == [time(0), time(1), time(1), time(2)]


@pytest.mark.parametrize(("month", "day"), [(3, 29), (10, 25)])
def test_berlin_daytime_hours_keep_their_wall_clock_on_both_changes(month: int, day: int) -> None:
    schedule = Schedule(slot_minutes=60, hours=every_day(time(9), time(11)))
    slots = free_slots(schedule, BERLIN, day_span(BERLIN, 2026, month, day), [], now=LONG_AGO)
    assert [s.local_start.time() for s in slots] == [time(9), time(10)]
    offset = 2 if month == 3 else 1  # the day after the change in each case
    assert slots[0].start.hour == 9 - offset


def test_busy_time_off_past_and_location_filters() -> None:
    schedule = Schedule(
        slot_minutes=30,
        hours=every_day(time(9), time(11)) + every_day(time(14), time(15), ANNEX),
        time_off=(Interval(datetime(2026, 6, 3, 8, 0, tzinfo=UTC), datetime(2026, 6, 3, 8, 30, tzinfo=UTC)),),
    )
    span = day_span(BERLIN, 2026, 6, 3)
    booked = [Interval(datetime(2026, 6, 3, 7, 30, tzinfo=UTC), datetime(2026, 6, 3, 8, 0, tzinfo=UTC))]
    now = datetime(2026, 6, 3, 7, 10, tzinfo=UTC)
    main = free_slots(schedule, BERLIN, span, booked, now=now, location_id=MAIN)
    assert [s.local_start.time() for s in main] == [time(10, 30)]
    annex = free_slots(schedule, BERLIN, span, [], now=now, location_id=ANNEX)
    assert [s.local_start.time() for s in annex] == [time(14), time(14, 30)]


def test_at_most_31_days() -> None:
    schedule = Schedule(slot_minutes=30, hours=every_day(time(9), time(10)))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationFailed):
        free_slots(schedule, BERLIN, Interval(start, start + timedelta(days=32)), [], now=LONG_AGO)


def test_bookability_gives_the_helpful_error() -> None:
    schedule = Schedule(
        slot_minutes=30, hours=every_day(time(9), time(12)), breaks=every_day(time(10), time(10, 30))
    )
    at = lambda h, m=0: datetime(2026, 6, 3, h, m, tzinfo=BERLIN).astimezone(UTC)  # noqa: E731
    booked = [Interval(at(9), at(9, 30))]
    check_bookable(schedule, BERLIN, Interval(at(9, 45), at(10)), booked, now=LONG_AGO, location_id=MAIN)
    for wanted in (
        Interval(at(8, 30), at(9)),
        Interval(at(10), at(10, 30)),
        Interval(at(11, 45), at(12, 15)),
    ):
        with pytest.raises(AppointmentSlotUnavailable):
            check_bookable(schedule, BERLIN, wanted, booked, now=LONG_AGO, location_id=MAIN)
    with pytest.raises(AppointmentSlotUnavailable):
        check_bookable(schedule, BERLIN, Interval(at(9), at(9, 30)), [], now=at(11), location_id=MAIN)
    with pytest.raises(AppointmentSlotUnavailable):
        check_bookable(schedule, BERLIN, Interval(at(11), at(11, 30)), [], now=LONG_AGO, location_id=ANNEX)
    with pytest.raises(AppointmentConflict):
        check_bookable(
            schedule, BERLIN, Interval(at(9, 15), at(9, 45)), booked, now=LONG_AGO, location_id=MAIN
        )

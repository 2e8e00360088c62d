"""The pure rules of notifications: reminder times, quiet hours across both 2026 DST changes,
channel choice, what the messages say."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ValidationFailed
from domain.messaging import Channel
from domain.notifications import (
    QuietHours,
    Recipient,
    ReminderPolicy,
    choose_recipient,
    local_time_text,
    outside_quiet_hours,
    parse_clock_time,
    reminder_key,
    reminder_prefix,
    reminder_times,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
QUIET = QuietHours(time(21, 0), time(8, 0))
POLICY = ReminderPolicy()
H = timedelta(hours=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("wall", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 30), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_wrap_midnight_start_inclusive_end_exclusive(wall: time, quiet: bool) -> None:
    assert QUIET.contains(wall) is quiet


def test_daytime_quiet_hours_and_none() -> None:
    lunch = QuietHours(time(12, 0), time(13, 0))
    assert lunch.contains(time(12, 30)) and not lunch.contains(time(13, 0))
    assert not QuietHours(time(8, 0), time(8, 0)).contains(time(8, 0))


def test_a_reminder_due_in_quiet_hours_moves_to_the_minute_before_they_began() -> None:
    due = local(BERLIN, 2026, 6, 10, 23, 0)
    assert outside_quiet_hours(due, BERLIN, QUIET) == local(BERLIN, 2026, 6, 10, 20, 59)
    early = local(BERLIN, 2026, 6, 11, 6, 30)  # after midnight: the quiet period began the day before
    assert outside_quiet_hours(early, BERLIN, QUIET) == local(BERLIN, 2026, 6, 10, 20, 59)
    fine = local(BERLIN, 2026, 6, 11, 9, 30)
    assert outside_quiet_hours(fine, BERLIN, QUIET) == fine


def test_reminders_24h_and_2h_before_in_daytime() -> None:
    starts = local(BERLIN, 2026, 6, 11, 15, 0)
    times = reminder_times(starts, BERLIN, POLICY, now=local(BERLIN, 2026, 6, 1, 9, 0))
    assert times == {24 * H: starts - 24 * H, 2 * H: starts - 2 * H}


def test_spring_forward_2026_berlin() -> None:
    # Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST. A 08:30 CEST appointment's 2 h reminder
    # (06:30 CEST) is quiet: it goes at 20:59 CET on Saturday, an hour earlier in UTC than in summer.
    starts = local(BERLIN, 2026, 3, 29, 8, 30)
    assert starts == utc(2026, 3, 29, 6, 30)
    times = reminder_times(starts, BERLIN, POLICY, now=utc(2026, 3, 20))
    assert times[2 * H] == utc(2026, 3, 28, 19, 59)  # 20:59 CET (+01:00)
    assert times[24 * H] == utc(2026, 3, 27, 19, 59)  # 07:30 CET Saturday is quiet: Friday 20:59 CET
    later = local(BERLIN, 2026, 3, 29, 10, 30)  # 24 h is a duration: 09:30 CET on Saturday
    assert reminder_times(later, BERLIN, POLICY, now=utc(2026, 3, 20))[24 * H] == local(
        BERLIN, 2026, 3, 28, 9, 30
    )


def test_fall_back_2026_berlin() -> None:
    # Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET.
    starts = local(BERLIN, 2026, 10, 25, 8, 30)
    assert starts == utc(2026, 10, 25, 7, 30)
    times = reminder_times(starts, BERLIN, POLICY, now=utc(2026, 10, 1))
    assert times[2 * H] == utc(2026, 10, 24, 18, 59)  # 20:59 CEST (+02:00) on Saturday
    assert times[24 * H] == utc(2026, 10, 24, 7, 30)  # 09:30 CEST on Saturday
    assert times[24 * H].astimezone(BERLIN).hour == 9


@pytest.mark.parametrize(
    ("starts_wall", "expected_utc"),
    [
        ((2026, 3, 8, 9, 0), utc(2026, 3, 8, 1, 59)),  # spring forward: 20:59 EST (-05:00) on the 7th
        ((2026, 11, 1, 9, 0), utc(2026, 11, 1, 0, 59)),  # fall back: 20:59 EDT (-04:00) on Oct 31
    ],
)
def test_both_2026_changes_in_new_york(starts_wall: tuple[int, ...], expected_utc: datetime) -> None:
    starts = local(NEW_YORK, *starts_wall)
    times = reminder_times(starts, NEW_YORK, POLICY, now=utc(2026, 1, 1))
    assert times[2 * H] == expected_utc
    assert times[2 * H].astimezone(NEW_YORK).time() == time(20, 59)


def test_reminders_already_due_are_left_out_and_never_after_the_start() -> None:
    starts = local(BERLIN, 2026, 6, 11, 15, 0)
    booked_late = reminder_times(starts, BERLIN, POLICY, now=starts - 3 * H)
    assert booked_late == {2 * H: starts - 2 * H}
    assert reminder_times(starts, BERLIN, POLICY, now=starts - H) == {}
    at_night = local(BERLIN, 2026, 6, 11, 0, 30)  # every reminder time is quiet or past
    for at in reminder_times(at_night, BERLIN, POLICY, now=utc(2026, 6, 1)).values():
        assert at < at_night and not QUIET.contains(at.astimezone(BERLIN).time())


def test_policy_and_clock_times_are_validated() -> None:
    with pytest.raises(ValidationFailed):
        ReminderPolicy(windows=(H, H))
    with pytest.raises(ValidationFailed):
        ReminderPolicy(windows=(timedelta(0),))
    assert parse_clock_time("07:05") == time(7, 5)
    for bad in ("7", "7:5", "25:00", "ab:cd"):
        with pytest.raises(ValueError):
            parse_clock_time(bad)


@pytest.mark.parametrize(
    ("phone", "email", "consent", "expected"),
    [
        ("+351912345678", "p@example.com", True, Recipient(Channel.WHATSAPP, "+351912345678")),
        ("+351912345678", "p@example.com", False, Recipient(Channel.EMAIL, "p@example.com")),
        (None, "p@example.com", True, Recipient(Channel.EMAIL, "p@example.com")),
        ("+351912345678", None, True, Recipient(Channel.WHATSAPP, "+351912345678")),
        ("+351912345678", None, False, None),
        (None, None, True, None),
    ],
)
def test_channel_choice(
    phone: str | None, email: str | None, consent: bool, expected: Recipient | None
) -> None:
    assert choose_recipient(phone=phone, email=email, whatsapp_consent=consent) == expected


def test_local_time_text_is_the_clinic_wall_time_labelled() -> None:
    assert local_time_text(utc(2026, 3, 30, 7, 30), BERLIN) == "Mon 30 Mar 2026, 09:30 (Europe/Berlin)"


def test_reminder_keys_name_appointment_start_window_and_channel() -> None:
    appointment = UUID(int=7)
    key = reminder_key(appointment, utc(2026, 3, 30, 7, 30), 2 * H, Channel.EMAIL)
    assert key == f"appointment:{appointment}:reminder:20260330T0730Z:120m:email"
    assert key.startswith(reminder_prefix(appointment)) and len(key) + 44 <= 200

"""Request and response bodies of the doctors routes."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated
from uuid import UUID

import msgspec

from domain.doctors import Doctor, TimeOff
from domain.scheduling import WeeklyWindow
from entrypoints.http.schemas import In, Out

WallTime = Annotated[str, msgspec.Meta(description="HH:MM on the clinic's wall clock", examples=["09:00"])]
Weekday = Annotated[int, msgspec.Meta(ge=0, le=6, description="0 is Monday")]


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


class DoctorIn(In):
    user_id: UUID
    specialty: str
    licence_number: str
    display_name: str | None = None  # as patients see it; the user's name when absent
    bio: str | None = None
    slot_minutes: int | None = None


class DoctorPatchIn(In):
    """Absent or null leaves a field as it is; an empty ``bio`` clears it."""

    specialty: str | None = None
    licence_number: str | None = None
    display_name: str | None = None
    bio: str | None = None
    slot_minutes: int | None = None
    active: bool | None = None


class HoursIn(In):
    location_id: UUID
    weekday: Weekday
    start: WallTime
    end: WallTime


class BreakIn(In):
    weekday: Weekday
    start: WallTime
    end: WallTime


class ScheduleIn(In):
    hours: list[HoursIn]
    breaks: list[BreakIn] = []
    slot_minutes: int | None = None


class HoursOut(Out):
    location_id: UUID | None
    weekday: int
    start: str
    end: str

    @classmethod
    def of(cls, window: WeeklyWindow) -> HoursOut:
        return cls(
            location_id=window.location_id,
            weekday=window.weekday,
            start=_hhmm(window.start),
            end=_hhmm(window.end),
        )


class BreakOut(Out):
    weekday: int
    start: str
    end: str

    @classmethod
    def of(cls, window: WeeklyWindow) -> BreakOut:
        return cls(weekday=window.weekday, start=_hhmm(window.start), end=_hhmm(window.end))


class ScheduleOut(Out):
    doctor_id: UUID
    slot_minutes: int
    hours: list[HoursOut]
    breaks: list[BreakOut]
    version: int

    @classmethod
    def of(cls, doctor: Doctor) -> ScheduleOut:
        return cls(
            doctor_id=doctor.id,
            slot_minutes=doctor.slot_minutes,
            hours=[HoursOut.of(w) for w in doctor.hours],
            breaks=[BreakOut.of(w) for w in doctor.breaks],
            version=doctor.version,
        )


class DoctorOut(Out):
    id: UUID
    clinic_id: UUID
    display_name: str | None
    specialty: str
    licence_number: str
    bio: str | None
    slot_minutes: int
    active: bool
    hours: list[HoursOut]
    breaks: list[BreakOut]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, doctor: Doctor) -> DoctorOut:
        return cls(
            id=doctor.id,
            clinic_id=doctor.clinic_id,
            display_name=doctor.display_name,
            specialty=doctor.specialty,
            licence_number=doctor.licence_number,
            bio=doctor.bio,
            slot_minutes=doctor.slot_minutes,
            active=doctor.active,
            hours=[HoursOut.of(w) for w in doctor.hours],
            breaks=[BreakOut.of(w) for w in doctor.breaks],
            version=doctor.version,
            created_at=doctor.created_at,
            updated_at=doctor.updated_at,
        )


class DoctorListOut(Out):
    items: list[DoctorOut]
    next_cursor: str | None


class TimeOffIn(In):
    starts_at: datetime
    ends_at: datetime
    reason: str | None = None


class TimeOffOut(Out):
    id: UUID
    doctor_id: UUID
    starts_at: datetime
    ends_at: datetime
    reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, period: TimeOff) -> TimeOffOut:
        return cls(
            id=period.id,
            doctor_id=period.doctor_id,
            starts_at=period.interval.start,
            ends_at=period.interval.end,
            reason=period.reason,
            created_at=period.created_at,
        )


class TimeOffListOut(Out):
    items: list[TimeOffOut]

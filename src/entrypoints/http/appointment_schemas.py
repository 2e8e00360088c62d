"""Request and response bodies of the appointment routes (booking and lifecycle share them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from application.appointments.views import AppointmentView
from domain.appointments import Appointment
from entrypoints.http.schemas import In, Out

LocalTime = Annotated[
    str,
    msgspec.Meta(
        description="The same instant on the clinic's wall clock (see timeZone), without offset",
        examples=["2026-03-29T10:00:00"],
    ),
]


def local_wall_time(instant: datetime, time_zone: str) -> str:
    """``instant`` on the wall clock of ``time_zone``, ISO 8601 without an offset."""
    return instant.astimezone(ZoneInfo(time_zone)).replace(tzinfo=None).isoformat(timespec="seconds")


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


class BookAppointmentIn(In):
    clinic_id: UUID
    location_id: UUID
    doctor_id: UUID
    patient_id: UUID
    starts_at: datetime
    duration_minutes: int | None = None
    reason: str | None = None
    hold: bool = False


class CancellationOut(Out):
    reason: str | None
    by: UUID
    at: datetime


class AppointmentOut(Out):
    id: UUID
    clinic_id: UUID
    location_id: UUID
    doctor_id: UUID
    patient_id: UUID
    starts_at: datetime
    ends_at: datetime
    local_starts_at: LocalTime
    local_ends_at: LocalTime
    time_zone: str
    status: str
    reason: str | None
    hold_expires_at: datetime | None
    cancellation: CancellationOut | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, appointment: Appointment, time_zone: str) -> AppointmentOut:
        a = appointment
        return cls(
            id=a.id,
            clinic_id=a.clinic_id,
            location_id=a.location_id,
            doctor_id=a.doctor_id,
            patient_id=a.patient_id,
            starts_at=utc(a.starts_at),
            ends_at=utc(a.ends_at),
            local_starts_at=local_wall_time(a.starts_at, time_zone),
            local_ends_at=local_wall_time(a.ends_at, time_zone),
            time_zone=time_zone,
            status=a.status.value,
            reason=a.reason,
            hold_expires_at=utc(a.hold_expires_at) if a.hold_expires_at else None,
            cancellation=(
                CancellationOut(reason=a.cancellation.reason, by=a.cancellation.by, at=utc(a.cancellation.at))
                if a.cancellation
                else None
            ),
            version=a.version,
            created_at=utc(a.created_at),
            updated_at=utc(a.updated_at),
        )

    @classmethod
    def of_view(cls, view: AppointmentView) -> AppointmentOut:
        return cls.of(view.appointment, view.time_zone)


class AppointmentListOut(Out):
    items: list[AppointmentOut]
    next_cursor: str | None


class SlotOut(Out):
    starts_at: datetime
    ends_at: datetime
    local_starts_at: LocalTime
    location_id: UUID | None


class AvailabilityOut(Out):
    clinic_id: UUID
    doctor_id: UUID
    time_zone: str
    from_: datetime = msgspec.field(name="from")
    to: datetime = msgspec.field(name="to")
    slots: list[SlotOut] = msgspec.field(default_factory=list)

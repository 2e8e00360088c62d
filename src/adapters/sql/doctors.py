"""DoctorRepository and TimeOffRepository over SQLAlchemy; every statement is scoped by clinic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.doctor_records import DoctorRow, TimeOffRow
from adapters.sql.errors import translated
from adapters.sql.values import as_optional_uuid, as_uuid
from application.ports.doctors import DoctorRepository, TimeOffRepository
from domain.doctors import Doctor, TimeOff
from domain.errors import DoctorAlreadyExists, VersionConflict
from domain.scheduling import Interval, WeeklyWindow

# How each driver names a duplicate profile: PostgreSQL the constraint, SQLite its columns.
_DUPLICATE = ('"pk_doctors"', "UNIQUE constraint failed: doctors.clinic_id, doctors.id")


def _window_doc(window: WeeklyWindow) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "weekday": window.weekday,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
    }
    if window.location_id is not None:
        doc["locationId"] = str(window.location_id)
    return doc


def _window_of(doc: dict[str, Any]) -> WeeklyWindow:
    location = doc.get("locationId")
    return WeeklyWindow(
        int(doc["weekday"]),
        time.fromisoformat(doc["start"]),
        time.fromisoformat(doc["end"]),
        UUID(location) if location else None,
    )


def _row(doctor: Doctor) -> dict[str, Any]:
    return {
        "clinic_id": doctor.clinic_id,
        "id": doctor.id,
        "specialty": doctor.specialty,
        "licence_number": doctor.licence_number,
        "display_name": doctor.display_name,
        "bio": doctor.bio,
        "slot_minutes": doctor.slot_minutes,
        "schedule": {
            "hours": [_window_doc(w) for w in doctor.hours],
            "breaks": [_window_doc(w) for w in doctor.breaks],
        },
        "active": doctor.active,
        "version": doctor.version,
        "created_at": doctor.created_at,
        "updated_at": doctor.updated_at,
        "created_by": doctor.created_by,
        "updated_by": doctor.updated_by,
    }


def _doctor_of(row: Row[Any]) -> Doctor:
    schedule = row.schedule or {}
    return Doctor(
        id=as_uuid(row.id),
        clinic_id=as_uuid(row.clinic_id),
        specialty=row.specialty,
        licence_number=row.licence_number,
        display_name=row.display_name,
        bio=row.bio,
        slot_minutes=row.slot_minutes,
        hours=tuple(_window_of(d) for d in schedule.get("hours", ())),
        breaks=tuple(_window_of(d) for d in schedule.get("breaks", ())),
        active=row.active,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=as_optional_uuid(row.created_by),
        updated_by=as_optional_uuid(row.updated_by),
    )


def _time_off_of(row: Row[Any]) -> TimeOff:
    return TimeOff(
        id=as_uuid(row.id),
        clinic_id=as_uuid(row.clinic_id),
        doctor_id=as_uuid(row.doctor_id),
        interval=Interval(row.starts_at, row.ends_at),
        reason=row.reason,
        created_at=row.created_at,
        created_by=as_optional_uuid(row.created_by),
    )


class SqlDoctorRepository(DoctorRepository):
    """DoctorRepository over SQLAlchemy: the schedule is one JSON document, the version guards updates."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, clinic_id: UUID, doctor_id: UUID) -> Doctor | None:
        table = DoctorRow.__table__
        statement = select(table).where(table.c.clinic_id == clinic_id, table.c.id == doctor_id)
        async with translated(self._session):
            row = (await self._session.execute(statement)).one_or_none()
        return _doctor_of(row) if row is not None else None

    async def add(self, doctor: Doctor) -> None:
        try:
            async with translated(self._session):
                await self._session.execute(insert(DoctorRow).values(_row(doctor)))
        except IntegrityError as exc:  # translated has rolled the unit back already
            if any(text in str(exc.orig) for text in _DUPLICATE):
                raise DoctorAlreadyExists() from exc
            raise

    async def update(self, doctor: Doctor, *, expected_version: int) -> None:
        fixed = ("clinic_id", "id", "created_at", "created_by")
        statement = (
            update(DoctorRow)
            .where(
                DoctorRow.clinic_id == doctor.clinic_id,
                DoctorRow.id == doctor.id,
                DoctorRow.version == expected_version,
            )
            .values({k: v for k, v in _row(doctor).items() if k not in fixed})
            .execution_options(synchronize_session=False)
        )
        async with translated(self._session):
            result = cast("CursorResult[Any]", await self._session.execute(statement))
        if result.rowcount != 1:
            raise VersionConflict()

    async def list(self, clinic_id: UUID, *, after: UUID | None, limit: int) -> Sequence[Doctor]:
        table = DoctorRow.__table__
        statement = select(table).where(table.c.clinic_id == clinic_id).order_by(table.c.id).limit(limit)
        if after is not None:
            statement = statement.where(table.c.id > after)
        async with translated(self._session):
            rows = (await self._session.execute(statement)).all()
        return [_doctor_of(row) for row in rows]


class SqlTimeOffRepository(TimeOffRepository):
    """TimeOffRepository over SQLAlchemy, indexed by (clinic, doctor, start)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, time_off: TimeOff) -> None:
        async with translated(self._session):
            await self._session.execute(
                insert(TimeOffRow).values(
                    clinic_id=time_off.clinic_id,
                    id=time_off.id,
                    doctor_id=time_off.doctor_id,
                    starts_at=time_off.interval.start,
                    ends_at=time_off.interval.end,
                    reason=time_off.reason,
                    created_at=time_off.created_at,
                    created_by=time_off.created_by,
                )
            )

    async def remove(self, clinic_id: UUID, doctor_id: UUID, time_off_id: UUID) -> bool:
        statement = (
            delete(TimeOffRow)
            .where(
                TimeOffRow.clinic_id == clinic_id,
                TimeOffRow.doctor_id == doctor_id,
                TimeOffRow.id == time_off_id,
            )
            .execution_options(synchronize_session=False)
        )
        async with translated(self._session):
            result = cast("CursorResult[Any]", await self._session.execute(statement))
        return bool(result.rowcount == 1)

    async def overlapping(self, clinic_id: UUID, doctor_id: UUID, span: Interval) -> Sequence[TimeOff]:
        table = TimeOffRow.__table__
        statement = (
            select(table)
            .where(
                table.c.clinic_id == clinic_id,
                table.c.doctor_id == doctor_id,
                table.c.starts_at < span.end,
                table.c.ends_at > span.start,
            )
            .order_by(table.c.starts_at, table.c.id)
        )
        async with translated(self._session):
            rows = (await self._session.execute(statement)).all()
        return [_time_off_of(row) for row in rows]

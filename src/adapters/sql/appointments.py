"""AppointmentRepository over SQLAlchemy (PostgreSQL, SQLite).

How no two active appointments of one doctor (or one patient) can overlap, whatever the
concurrency:

- PostgreSQL: two exclusion constraints (migration 0011) refuse an overlapping HELD, BOOKED or
  CHECKED_IN row of the same clinic and doctor (patient). A second unit inserting into a range
  another uncommitted unit holds waits for it, then fails with SQLSTATE 23P01, which becomes
  APPOINTMENT_CONFLICT here. A constraint cannot see now(), so ``add``/``update`` first retire
  the lapsed holds in the way (status EXPIRED, a storage marker: they read back as the lapsed
  HELD they are), in the same transaction.
- SQLite: one writer at a time. ``add``/``update`` start with that same retiring UPDATE, which is
  a write statement: it opens the transaction's write lock (waiting ``busy_timeout`` for another
  writer) and holds it until COMMIT or ROLLBACK. Only then is the overlap query run, then the
  INSERT: between the check and the commit no other unit can write, and in WAL mode a reader
  that holds the write lock sees the latest commit. The check and the insert are atomic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import ColumnElement, Table, and_, exists, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.appointment_records import (
    DOCTOR_OVERLAP,
    EXPIRED,
    PATIENT_OVERLAP,
    AppointmentRow,
)
from adapters.sql.errors import translated
from adapters.sql.values import as_uuid
from application.ports.appointments import AppointmentFilter, AppointmentKey, AppointmentRepository
from application.ports.crypto import FieldCipher
from domain.appointments import MAX_DURATION, Appointment, AppointmentStatus, Cancellation
from domain.errors import AppointmentConflict, VersionConflict
from domain.scheduling import Interval

T = cast(Table, AppointmentRow.__table__)
S = AppointmentStatus
_ALWAYS_ACTIVE = (S.BOOKED.value, S.CHECKED_IN.value)


def _active(now: datetime) -> ColumnElement[bool]:
    return or_(
        T.c.status.in_(_ALWAYS_ACTIVE),
        and_(T.c.status == S.HELD.value, T.c.hold_expires_at > now),
    )


def _overlapping(start: datetime, end: datetime) -> ColumnElement[bool]:
    # No appointment is longer than MAX_DURATION, so one that overlaps [start, end) starts after
    # start - MAX_DURATION: the bound keeps the index range scan to a day's rows, not the history.
    return and_(T.c.starts_at < end, T.c.starts_at > start - MAX_DURATION, T.c.ends_at > start)


def _stored_status(appointment: Appointment, now: datetime) -> str:
    lapsed = appointment.status is S.HELD and not appointment.is_active(now)
    return EXPIRED if lapsed else appointment.status.value


@asynccontextmanager
async def _conflicts_translated(session: AsyncSession) -> AsyncIterator[None]:
    try:
        async with translated(session):
            yield
    except IntegrityError as exc:  # translated() has rolled the session back already
        message = str(exc.orig)
        if DOCTOR_OVERLAP in message or PATIENT_OVERLAP in message:
            raise AppointmentConflict() from exc
        raise


class SqlAppointmentRepository(AppointmentRepository):
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    # -- sealing -------------------------------------------------------------------------------
    def _context(self, column: str, clinic_id: UUID, appointment_id: UUID) -> bytes:
        return f"appointments.{column}:{clinic_id}:{appointment_id}".encode()

    def _seal(self, text: str | None, column: str, a: Appointment) -> bytes | None:
        if text is None:
            return None
        return self._cipher.encrypt(text.encode(), context=self._context(column, a.clinic_id, a.id))

    def _open(self, sealed: Any, column: str, clinic_id: UUID, appointment_id: UUID) -> str | None:
        if sealed is None:
            return None
        context = self._context(column, clinic_id, appointment_id)
        return self._cipher.decrypt(bytes(sealed), context=context).decode()

    def _values(self, a: Appointment, now: datetime) -> dict[str, Any]:
        c = a.cancellation
        return {
            "location_id": a.location_id,
            "doctor_id": a.doctor_id,
            "patient_id": a.patient_id,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "status": _stored_status(a, now),
            "reason_sealed": self._seal(a.reason, "reason", a),
            "hold_expires_at": a.hold_expires_at,
            "cancelled_reason_sealed": self._seal(c.reason if c else None, "cancelled_reason", a),
            "cancelled_by": c.by if c else None,
            "cancelled_at": c.at if c else None,
            "version": a.version,
            "updated_at": a.updated_at,
            "updated_by": a.updated_by,
        }

    def _appointment(self, row: Any) -> Appointment:
        clinic_id, appointment_id = as_uuid(row.clinic_id), as_uuid(row.id)
        cancellation = None
        if row.cancelled_by is not None:
            cancellation = Cancellation(
                reason=self._open(row.cancelled_reason_sealed, "cancelled_reason", clinic_id, appointment_id),
                by=as_uuid(row.cancelled_by),
                at=row.cancelled_at,
            )
        return Appointment(
            id=appointment_id,
            clinic_id=clinic_id,
            location_id=as_uuid(row.location_id),
            doctor_id=as_uuid(row.doctor_id),
            patient_id=as_uuid(row.patient_id),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            status=S.HELD if row.status == EXPIRED else S(row.status),
            reason=self._open(row.reason_sealed, "reason", clinic_id, appointment_id),
            hold_expires_at=row.hold_expires_at,
            cancellation=cancellation,
            version=row.version,
            created_at=row.created_at,
            created_by=as_uuid(row.created_by),
            updated_at=row.updated_at,
            updated_by=as_uuid(row.updated_by),
        )

    # -- the guarantee -------------------------------------------------------------------------
    async def _make_way(self, a: Appointment, now: datetime) -> None:
        """Retire lapsed holds of this doctor or patient in the way (this write also takes
        SQLite's writer lock), then, on SQLite, refuse an overlap with an active appointment."""
        mine = and_(
            T.c.clinic_id == a.clinic_id,
            or_(T.c.doctor_id == a.doctor_id, T.c.patient_id == a.patient_id),
            _overlapping(a.starts_at, a.ends_at),
        )
        await self._session.execute(
            update(T)
            .where(mine, T.c.status == S.HELD.value, T.c.hold_expires_at <= now)
            .values(status=EXPIRED)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            return  # the exclusion constraints decide, on INSERT/UPDATE
        clash = select(exists().where(mine, T.c.id != a.id, _active(now)))
        if await self._session.scalar(clash):
            raise AppointmentConflict()

    async def add(self, appointment: Appointment, *, now: datetime) -> None:
        async with _conflicts_translated(self._session):
            if appointment.is_active(now):
                await self._make_way(appointment, now)
            await self._session.execute(
                insert(T).values(
                    clinic_id=appointment.clinic_id,
                    id=appointment.id,
                    created_at=appointment.created_at,
                    created_by=appointment.created_by,
                    **self._values(appointment, now),
                )
            )

    async def update(self, appointment: Appointment, *, expected_version: int, now: datetime) -> None:
        async with _conflicts_translated(self._session):
            if appointment.is_active(now):
                await self._make_way(appointment, now)
            result: Any = await self._session.execute(
                update(T)
                .where(
                    T.c.clinic_id == appointment.clinic_id,
                    T.c.id == appointment.id,
                    T.c.version == expected_version,
                )
                .values(**self._values(appointment, now))
            )
        if result.rowcount != 1:
            raise VersionConflict()

    # -- reads ---------------------------------------------------------------------------------
    async def get(self, clinic_id: UUID, appointment_id: UUID) -> Appointment | None:
        statement = select(T).where(T.c.clinic_id == clinic_id, T.c.id == appointment_id)
        async with translated(self._session):
            row = (await self._session.execute(statement)).one_or_none()
        return None if row is None else self._appointment(row)

    async def _busy(
        self, clinic_id: UUID, who: ColumnElement[bool], span: Interval, now: datetime
    ) -> list[Interval]:
        statement = (
            select(T.c.starts_at, T.c.ends_at)
            .where(T.c.clinic_id == clinic_id, who, _active(now), _overlapping(span.start, span.end))
            .order_by(T.c.starts_at)
        )
        async with translated(self._session):
            rows = (await self._session.execute(statement)).all()
        return [Interval(r.starts_at, r.ends_at) for r in rows]

    async def busy(
        self, clinic_id: UUID, doctor_id: UUID, span: Interval, *, now: datetime
    ) -> Sequence[Interval]:
        return await self._busy(clinic_id, T.c.doctor_id == doctor_id, span, now)

    async def patient_busy(
        self, clinic_id: UUID, patient_id: UUID, span: Interval, *, now: datetime
    ) -> Sequence[Interval]:
        return await self._busy(clinic_id, T.c.patient_id == patient_id, span, now)

    async def list(
        self, clinic_id: UUID, where: AppointmentFilter, *, after: AppointmentKey | None, limit: int
    ) -> Sequence[Appointment]:
        conditions: list[ColumnElement[bool]] = [T.c.clinic_id == clinic_id]
        if after is not None:
            conditions.append(tuple_(T.c.starts_at, T.c.id) > tuple_(after.starts_at, after.id))
        if where.doctor_id is not None:
            conditions.append(T.c.doctor_id == where.doctor_id)
        if where.patient_id is not None:
            conditions.append(T.c.patient_id == where.patient_id)
        if where.location_ids is not None:
            conditions.append(T.c.location_id.in_(sorted(where.location_ids)))
        if where.status is S.HELD:  # lapsed holds retired by a write are HELD to the domain
            conditions.append(T.c.status.in_((S.HELD.value, EXPIRED)))
        elif where.status is not None:
            conditions.append(T.c.status == where.status.value)
        if where.starts_from is not None:
            conditions.append(T.c.starts_at >= where.starts_from)
        if where.starts_before is not None:
            conditions.append(T.c.starts_at < where.starts_before)
        statement = select(T).where(*conditions).order_by(T.c.starts_at, T.c.id).limit(limit)
        async with translated(self._session):
            rows = (await self._session.execute(statement)).all()
        return [self._appointment(r) for r in rows]

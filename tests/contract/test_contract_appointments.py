"""Appointments: one contract on memory, SQLite and PostgreSQL, the no-overlap guarantee first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text
from system_sessions import system_sessions

from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.memory.appointments import InMemoryAppointmentRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.appointments import SqlAppointmentRepository
from adapters.sql.uow import SqlUnitOfWork
from application.ports.appointments import AppointmentFilter, AppointmentKey, AppointmentRepository
from application.ports.uow import UnitOfWork
from conftest import ALL_BACKENDS, Build
from domain.appointments import Appointment, AppointmentStatus
from domain.errors import AppointmentConflict, VersionConflict
from domain.scheduling import Interval

CIPHER = AesGcmFieldCipher("t1", {"t1": bytes(range(32))})
MIN = timedelta(minutes=1)


@dataclass
class Part:
    uow: UnitOfWork
    appointments: AppointmentRepository
    session: Any  # the AsyncSession on SQL, None in memory


@pytest.fixture(params=ALL_BACKENDS)
async def parts(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Callable[[], Part]]:
    if request.param == "memory":
        store = InMemoryStore()

        def memory() -> Part:
            uow = InMemoryUnitOfWork(store)
            return Part(uow, InMemoryAppointmentRepository(uow), None)

        yield memory
        return
    async with system_sessions(request.param, tmp_path) as new_session:

        def sql() -> Part:
            session = new_session()
            return Part(SqlUnitOfWork(session), SqlAppointmentRepository(session, CIPHER), session)

        yield sql


class Book:
    """Appointments of one clinic around a fixed ``now``, whole seconds, times in UTC."""

    def __init__(self, build: Build) -> None:
        self.build = build
        self.now = build.now().replace(microsecond=0)
        self.clinic, self.location = build.id(), build.id()

    def at(self, minutes: int) -> datetime:
        return self.now + timedelta(days=1) + minutes * MIN

    def __call__(
        self,
        start: int,
        length: int = 30,
        *,
        doctor: UUID,
        patient: UUID,
        status: AppointmentStatus = AppointmentStatus.BOOKED,
        hold_for: int = 10,
        clinic: UUID | None = None,
        reason: str | None = None,
    ) -> Appointment:
        actor = self.build.id()
        return Appointment(
            id=self.build.id(),
            clinic_id=clinic or self.clinic,
            location_id=self.location,
            doctor_id=doctor,
            patient_id=patient,
            starts_at=self.at(start),
            ends_at=self.at(start + length),
            status=status,
            reason=reason,
            hold_expires_at=self.now + hold_for * MIN if status is AppointmentStatus.HELD else None,
            created_at=self.now,
            created_by=actor,
            updated_at=self.now,
            updated_by=actor,
        )


async def _store(part: Part, appointment: Appointment, now: datetime) -> None:
    await part.appointments.add(appointment, now=now)
    await part.uow.commit()


async def _refused(part: Part, appointment: Appointment, now: datetime) -> None:
    with pytest.raises(AppointmentConflict):
        await part.appointments.add(appointment, now=now)
        await part.uow.commit()
    await part.uow.rollback()


async def test_an_appointment_round_trips_and_stays_in_its_clinic(parts, build: Build) -> None:
    book = Book(build)
    appointment = book(0, doctor=build.id(), patient=build.id(), reason="Persistent cough")
    await _store(parts(), appointment, book.now)
    assert await parts().appointments.get(book.clinic, appointment.id) == appointment
    assert await parts().appointments.get(build.id(), appointment.id) is None
    assert await parts().appointments.get(book.clinic, build.id()) is None


async def test_overlaps_are_refused_for_the_doctor_and_for_the_patient(parts, build: Build) -> None:
    book = Book(build)
    doctor, patient = build.id(), build.id()
    await _store(parts(), book(0, 30, doctor=doctor, patient=patient), book.now)
    await _refused(parts(), book(15, 30, doctor=doctor, patient=build.id()), book.now)
    await _refused(parts(), book(-15, 30, doctor=build.id(), patient=patient), book.now)
    await _refused(parts(), book(5, 10, doctor=doctor, patient=build.id()), book.now)
    await _refused(parts(), book(-60, 120, doctor=build.id(), patient=patient), book.now)
    # Adjacent slots touch but do not overlap: [start, end).
    await _store(parts(), book(30, 30, doctor=doctor, patient=patient), book.now)
    await _store(parts(), book(-30, 30, doctor=doctor, patient=patient), book.now)
    busy = await parts().appointments.busy(
        book.clinic, doctor, Interval(book.at(-60), book.at(120)), now=book.now
    )
    assert busy == [Interval(book.at(m), book.at(m + 30)) for m in (-30, 0, 30)]
    mine = await parts().appointments.patient_busy(
        book.clinic, patient, Interval(book.at(10), book.at(20)), now=book.now
    )
    assert mine == [Interval(book.at(0), book.at(30))]


async def test_the_longest_appointment_still_blocks_its_last_minutes(parts, build: Build) -> None:
    """SQL bounds the overlap search by the longest appointment (8 h): the bound must not hide one."""
    book = Book(build)
    doctor = build.id()
    await _store(parts(), book(0, 480, doctor=doctor, patient=build.id()), book.now)
    await _refused(parts(), book(470, 30, doctor=doctor, patient=build.id()), book.now)
    await _store(parts(), book(480, 30, doctor=doctor, patient=build.id()), book.now)


async def test_other_clinics_and_other_people_do_not_clash(parts, build: Build) -> None:
    book = Book(build)
    doctor, patient = build.id(), build.id()
    await _store(parts(), book(0, doctor=doctor, patient=patient), book.now)
    await _store(parts(), book(0, doctor=doctor, patient=patient, clinic=build.id()), book.now)
    await _store(parts(), book(0, doctor=build.id(), patient=build.id()), book.now)
    span = Interval(book.at(0), book.at(30))
    assert len(await parts().appointments.busy(book.clinic, doctor, span, now=book.now)) == 1


async def test_cancelled_and_lapsed_holds_do_not_block_but_live_holds_do(parts, build: Build) -> None:
    book = Book(build)
    doctor, patient = build.id(), build.id()
    cancelled = book(0, doctor=doctor, patient=patient)
    await _store(parts(), cancelled, book.now)
    part = parts()
    stored = await part.appointments.get(book.clinic, cancelled.id)
    assert stored is not None
    stored.cancel(reason="Feeling better", by=build.id(), at=book.now)
    await part.appointments.update(stored, expected_version=1, now=book.now)
    await part.uow.commit()
    hold = book(0, doctor=doctor, patient=patient, status=AppointmentStatus.HELD, hold_for=10)
    await _store(parts(), hold, book.now)
    await _refused(parts(), book(0, doctor=doctor, patient=build.id()), book.now + 9 * MIN)
    later = book.now + 10 * MIN  # the hold lapses at its expiry
    assert (
        await parts().appointments.busy(book.clinic, doctor, Interval(book.at(0), book.at(30)), now=later)
        == []
    )
    taken = book(0, doctor=doctor, patient=build.id())
    await _store(parts(), taken, later)
    lapsed = await parts().appointments.get(book.clinic, hold.id)
    assert lapsed is not None and lapsed.status is AppointmentStatus.HELD and not lapsed.is_active(later)
    held = await parts().appointments.list(
        book.clinic, AppointmentFilter(status=AppointmentStatus.HELD), after=None, limit=10
    )
    assert [a.id for a in held] == [hold.id]
    again = await parts().appointments.get(book.clinic, cancelled.id)
    assert again is not None and again.cancellation is not None
    assert again.cancellation.reason == "Feeling better" and again.version == 2


async def test_updates_check_the_version_and_the_overlap(parts, build: Build) -> None:
    book = Book(build)
    doctor, patient = build.id(), build.id()
    first, second = book(0, doctor=doctor, patient=patient), book(60, doctor=doctor, patient=build.id())
    await _store(parts(), first, book.now)
    await _store(parts(), second, book.now)
    part = parts()
    moving = await part.appointments.get(book.clinic, second.id)
    assert moving is not None
    moving.reschedule(Interval(book.at(15), book.at(45)), location_id=None, by=build.id(), at=book.now)
    with pytest.raises(AppointmentConflict):
        await part.appointments.update(moving, expected_version=1, now=book.now)
        await part.uow.commit()
    await part.uow.rollback()
    part = parts()
    moving = await part.appointments.get(book.clinic, second.id)
    assert moving is not None
    moving.reschedule(Interval(book.at(30), book.at(60)), location_id=None, by=build.id(), at=book.now)
    await part.appointments.update(moving, expected_version=1, now=book.now)
    await part.uow.commit()
    part = parts()
    stale = await part.appointments.get(book.clinic, second.id)
    assert stale is not None and stale.version == 2 and stale.starts_at == book.at(30)
    stale.version = 1
    stale.check_in(by=build.id(), at=book.now)
    with pytest.raises(VersionConflict):
        await part.appointments.update(stale, expected_version=1, now=book.now)
        await part.uow.commit()
    await part.uow.rollback()


async def test_lists_run_in_time_order_with_filters_and_a_keyset(parts, build: Build) -> None:
    book = Book(build)
    doctor, other = build.id(), build.id()
    made = [
        book(m, doctor=doctor if m % 60 == 0 else other, patient=build.id()) for m in (120, 0, 60, 30, 90)
    ]
    for appointment in made:
        await _store(parts(), appointment, book.now)
    everyone = await parts().appointments.list(book.clinic, AppointmentFilter(), after=None, limit=10)
    assert [a.starts_at for a in everyone] == [book.at(m) for m in (0, 30, 60, 90, 120)]
    page = await parts().appointments.list(
        book.clinic, AppointmentFilter(doctor_id=doctor), after=AppointmentKey.of(everyone[0]), limit=1
    )
    assert [a.starts_at for a in page] == [book.at(60)]
    window = AppointmentFilter(starts_from=book.at(30), starts_before=book.at(90))
    assert len(await parts().appointments.list(book.clinic, window, after=None, limit=10)) == 2
    assert await parts().appointments.list(build.id(), AppointmentFilter(), after=None, limit=10) == []


async def test_the_reason_is_not_stored_in_the_clear(parts, build: Build) -> None:
    book = Book(build)
    part = parts()
    await _store(
        part, book(0, doctor=build.id(), patient=build.id(), reason="Chest pain since Monday"), book.now
    )
    if part.session is None:
        pytest.skip("the memory adapter stores nothing outside the process")
    row = (await part.session.execute(text("SELECT * FROM appointments"))).mappings().one()
    dumped = repr(dict(row)).encode() + b"".join(v for v in row.values() if isinstance(v, bytes | memoryview))
    assert b"Chest pain" not in dumped

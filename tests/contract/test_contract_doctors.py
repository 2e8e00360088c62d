"""Doctors and their time off: one contract on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import time, timedelta
from uuid import UUID

import pytest

from adapters.memory.doctors import InMemoryDoctorRepository, InMemoryTimeOffRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.doctors import SqlDoctorRepository, SqlTimeOffRepository
from adapters.sql.engine import session_factory
from adapters.sql.migrate import migrate
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.uow import SqlUnitOfWork
from conftest import ALL_BACKENDS, Build, _open_engine, app_role_of
from domain.doctors import Doctor, TimeOff, revised
from domain.errors import DoctorAlreadyExists, VersionConflict
from domain.scheduling import Interval, WeeklyWindow


@pytest.fixture(params=ALL_BACKENDS)
async def parts(request, tmp_path) -> AsyncIterator[Callable[[], tuple]]:
    """A factory of (unit of work, doctors, time off) sharing one fresh store."""
    if request.param == "memory":
        store = InMemoryStore()

        def memory(scope=("*", "")):
            uow = InMemoryUnitOfWork(store)
            return uow, InMemoryDoctorRepository(uow), InMemoryTimeOffRepository(uow)

        memory.backend = "memory"
        yield memory
        return
    async with _open_engine(request.param, tmp_path) as engine:
        role = app_role_of(engine)
        await migrate(engine, app_role=role)
        make = session_factory(engine, app_role=role)
        opened = []

        def sql(scope=("*", "")):
            session = make()
            session.info[SCOPE_KEY] = scope
            opened.append(session)
            return SqlUnitOfWork(session), SqlDoctorRepository(session), SqlTimeOffRepository(session)

        sql.backend = request.param
        try:
            yield sql
        finally:
            for session in opened:
                await session.close()


def doctor(build: Build, clinic: UUID, **changes: object) -> Doctor:
    at = build.now()
    location = build.id()
    fields: dict = {
        "id": build.id(),
        "clinic_id": clinic,
        "specialty": "Cardiology",
        "licence_number": "LIC-1",
        "bio": "Twenty years of hearts",
        "slot_minutes": 20,
        "hours": (
            WeeklyWindow(0, time(9), time(12, 30), location),
            WeeklyWindow(2, time(14), time(18, 15), build.id()),
        ),
        "breaks": (WeeklyWindow(0, time(10, 45), time(11)),),
        "created_at": at,
        "updated_at": at,
        "created_by": build.id(),
        "updated_by": None,
    }
    return Doctor(**(fields | changes))


async def test_a_doctor_round_trips_with_the_schedule_within_its_clinic(parts, build: Build) -> None:
    clinic, other = build.id(), build.id()
    uow, doctors, _ = parts()
    saved = doctor(build, clinic)
    bare = doctor(build, clinic, bio=None, hours=(), breaks=(), created_by=None)
    await doctors.add(saved)
    await doctors.add(bare)
    await uow.commit()
    reader = parts()[1]
    assert await reader.get(clinic, saved.id) == saved
    assert await reader.get(clinic, bare.id) == bare
    assert await reader.get(other, saved.id) is None
    assert await reader.get(clinic, build.id()) is None


async def test_one_profile_per_user_and_clinic(parts, build: Build) -> None:
    clinic, other = build.id(), build.id()
    first = doctor(build, clinic)
    uow, doctors, _ = parts()
    await doctors.add(first)
    await uow.commit()
    uow, doctors, _ = parts()
    with pytest.raises(DoctorAlreadyExists):
        await doctors.add(doctor(build, clinic, id=first.id, specialty="Other"))
        await uow.commit()
    uow, doctors, _ = parts()
    await doctors.add(doctor(build, other, id=first.id))  # the same user in another clinic
    await uow.commit()
    assert (await parts()[1].get(clinic, first.id)).specialty == "Cardiology"


async def test_updates_are_guarded_by_the_version(parts, build: Build) -> None:
    clinic = build.id()
    original = doctor(build, clinic)
    uow, doctors, _ = parts()
    await doctors.add(original)
    await uow.commit()

    uow, doctors, _ = parts()
    changed = revised(
        original, at=build.now(), by=build.id(), bio=None, hours=(), breaks=original.hours[:1], active=False
    )
    changed = revised(changed, at=build.now(), by=build.id(), breaks=())
    await doctors.update(changed, expected_version=1)
    await uow.commit()
    stored = await parts()[1].get(clinic, original.id)
    assert stored == changed and stored.version == 3 and stored.created_at == original.created_at

    uow, doctors, _ = parts()
    with pytest.raises(VersionConflict):
        await doctors.update(
            revised(original, at=build.now(), by=build.id(), bio="Stale"), expected_version=1
        )
        await uow.commit()
    await uow.rollback()  # as UnitOfWork.run does on any error
    uow, doctors, _ = parts()
    with pytest.raises(VersionConflict):  # a doctor that does not exist in this clinic
        await doctors.update(doctor(build, build.id()), expected_version=1)
        await uow.commit()
    await uow.rollback()
    assert (await parts()[1].get(clinic, original.id)).bio is None


async def test_lists_are_keyset_pages_by_id_within_a_clinic(parts, build: Build) -> None:
    clinic, other = build.id(), build.id()
    uow, doctors, _ = parts()
    mine = [doctor(build, clinic) for _ in range(3)]
    for item in [*reversed(mine), doctor(build, other)]:
        await doctors.add(item)
    await uow.commit()
    reader = parts()[1]
    ids = sorted(d.id for d in mine)
    assert [d.id for d in await reader.list(clinic, after=None, limit=2)] == ids[:2]
    assert [d.id for d in await reader.list(clinic, after=ids[1], limit=2)] == ids[2:]
    assert await reader.list(build.id(), after=None, limit=10) == []


async def test_time_off_overlapping_a_span_and_removal(parts, build: Build) -> None:
    clinic, other_clinic = build.id(), build.id()
    uow, doctors, time_off = parts()
    one, two = doctor(build, clinic), doctor(build, clinic)
    elsewhere = doctor(build, other_clinic, id=one.id)
    for item in (one, two, elsewhere):
        await doctors.add(item)
    start = build.now()

    def period(owner: Doctor, hours_from: int, hours_long: int, reason: str | None = None) -> TimeOff:
        begin = start + timedelta(hours=hours_from)
        return TimeOff(
            id=build.id(),
            clinic_id=owner.clinic_id,
            doctor_id=owner.id,
            interval=Interval(begin, begin + timedelta(hours=hours_long)),
            reason=reason,
            created_at=build.now(),
            created_by=build.id(),
        )

    later, early, other_doctor, other_clinic_period = (
        period(one, 48, 24, "Congress"),
        period(one, 0, 8),
        period(two, 0, 8),
        period(elsewhere, 0, 8),
    )
    for item in (later, early, other_doctor, other_clinic_period):
        await time_off.add(item)
    await uow.commit()

    reader = parts()[2]
    everything = Interval(start - timedelta(days=1), start + timedelta(days=7))
    assert await reader.overlapping(clinic, one.id, everything) == [early, later]
    # Half-open: a span ending where a period starts, or starting where it ends, misses it.
    assert (
        await reader.overlapping(
            clinic, one.id, Interval(start + timedelta(hours=8), start + timedelta(hours=48))
        )
        == []
    )
    touching = Interval(start + timedelta(hours=7, minutes=59), start + timedelta(hours=48, minutes=1))
    assert await reader.overlapping(clinic, one.id, touching) == [early, later]

    uow, _, time_off = parts()
    assert await time_off.remove(other_clinic, one.id, early.id) is False
    assert await time_off.remove(clinic, two.id, early.id) is False
    assert await time_off.remove(clinic, one.id, early.id) is True
    await uow.commit()
    uow, _, time_off = parts()
    assert await time_off.remove(clinic, one.id, early.id) is False
    assert await parts()[2].overlapping(clinic, one.id, everything) == [later]
    assert await parts()[2].overlapping(other_clinic, one.id, everything) == [other_clinic_period]


async def test_postgresql_walls_each_clinic_off_by_row_level_security(parts, build: Build) -> None:
    if parts.backend != "postgres":
        pytest.skip("row-level security is PostgreSQL's; elsewhere the clinic filters are the wall")
    a, b = build.id(), build.id()
    uow, doctors, time_off = parts()
    theirs = doctor(build, b)
    await doctors.add(theirs)
    at = build.now()
    period = TimeOff(
        id=build.id(),
        clinic_id=b,
        doctor_id=theirs.id,
        interval=Interval(at, at + timedelta(hours=1)),
        created_at=at,
    )
    await time_off.add(period)
    await uow.commit()
    # A session scoped to clinic A sees nothing of B, even when it names B's ids.
    uow, doctors, time_off = parts((str(a), ""))
    assert await doctors.get(b, theirs.id) is None
    assert await doctors.list(b, after=None, limit=10) == []
    everything = Interval(at - timedelta(days=1), at + timedelta(days=1))
    assert await time_off.overlapping(b, theirs.id, everything) == []
    assert await time_off.remove(b, theirs.id, period.id) is False
    await uow.rollback()
    uow, doctors, _ = parts((str(a), ""))
    with pytest.raises(Exception, match="row-level security"):
        await doctors.add(doctor(build, b))
    await uow.rollback()
    assert await parts()[1].get(b, theirs.id) == theirs

"""The guarantee, under real concurrency: one slot, many bookers, exactly one booking.

- Through the real HTTP app: 50 concurrent requests for one slot of one doctor (50 different
  patients) give exactly one 201 and 49 409 APPOINTMENT_CONFLICT, on the production profile
  against PostgreSQL and on the embedded profile's SQLite file; afterwards the table itself holds
  exactly one active appointment in that slot.
- At the repository: 50 concurrent units of work, each adding an overlapping appointment, on
  memory, SQLite and PostgreSQL: exactly one commits. Also one patient booked at the same time
  with two doctors, concurrently: one wins.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

# Appended, not prepended: ``conftest`` must stay this folder's.
sys.path.append(str(Path(__file__).resolve().parents[1] / "http"))
from http_api import embedded_settings, open_api, production_database
from test_booking_api import Seeded, seed, token
from test_contract_appointments import CIPHER

from adapters.memory.appointments import InMemoryAppointmentRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.appointment_records import BLOCKING_STATUSES, AppointmentRow
from adapters.sql.appointments import SqlAppointmentRepository
from adapters.sql.engine import session_factory
from adapters.sql.migrate import migrate
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.uow import SqlUnitOfWork
from application.ports.appointments import AppointmentRepository
from application.ports.uow import UnitOfWork
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from conftest import ALL_BACKENDS, _open_engine, app_role_of
from domain.appointments import Appointment, AppointmentStatus
from domain.errors import AppointmentConflict
from entrypoints.bootstrap import as_system
from entrypoints.ioc.profiles import build_container

CONTENDERS = 50
T = AppointmentRow.__table__


async def _active_in_slot(url: str, clinic: str, doctor: str, start: str, end: str) -> int:
    """Active appointments of the doctor overlapping [start, end), read from the table itself."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            query = (
                select(func.count())
                .select_from(T)
                .where(
                    T.c.clinic_id == UUID(clinic),
                    T.c.doctor_id == UUID(doctor),
                    T.c.status.in_(BLOCKING_STATUSES),
                    T.c.starts_at < datetime.fromisoformat(end),
                    T.c.ends_at > datetime.fromisoformat(start),
                )
            )
            return int((await connection.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def _at_once(api: Any, posts: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[Any]:
    """POST all of ``posts`` concurrently. The test client hands one request at a time to the
    app's event loop (its blocking portal), which would serialize them; this runs them together
    inside that loop, where the app's pools live, through an ASGI transport."""

    async def together() -> list[Any]:
        transport = httpx.ASGITransport(app=api.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return list(await asyncio.gather(*(client.post(u, json=b, headers=h) for u, b, h in posts)))

    return list(api.client.blocking_portal.call(together))


async def _storm(api: Any, s: Seeded) -> list[Any]:
    """Every patient asks for Monday 10:00 with the first doctor, all at once."""
    return await _at_once(
        api, [("/api/v1/appointments", s.body(10, patient=n), s.desk) for n in range(CONTENDERS)]
    )


def _assert_one_winner(responses: list[Any]) -> None:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (CONTENDERS - 1), [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    codes = {r.json()["error"]["code"] for r in responses if r.status_code == 409}
    assert codes == {"APPOINTMENT_CONFLICT"}


@pytest.mark.postgres
async def test_fifty_requests_for_one_slot_on_postgresql_through_the_production_app(tmp_path: Path) -> None:
    async with production_database(tmp_path) as settings:
        setup = build_container(settings)
        try:
            async with setup() as request:
                await as_system(request)
                await (await request.get(CreateSuperAdmin))(
                    CreateSuperAdminCommand(email="ops@example.com", name="Ops")
                )
            async for api in open_api(settings):
                s = await seed(api, setup, await token(setup, "ops@example.com"), patients=CONTENDERS)
                _assert_one_winner(await _storm(api, s))
                # A second patient at the same time with the other doctor: the patient side holds too.
                winner = await _active_in_slot(
                    settings.database.url, s.clinic, s.doctors[0], s.at(10), s.at(10, 30)
                )
                assert winner == 1
        finally:
            await setup.close()


async def test_fifty_requests_for_one_slot_on_sqlite_through_the_embedded_app(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path)
    async for api in open_api(settings):
        s = await seed(api, api.container, await api.super_admin(), patients=CONTENDERS)
        _assert_one_winner(await _storm(api, s))
        count = await _active_in_slot(settings.database.url, s.clinic, s.doctors[0], s.at(10), s.at(10, 30))
        assert count == 1


async def test_one_patient_with_two_doctors_at_once_over_http(tmp_path: Path) -> None:
    async for api in open_api(embedded_settings(tmp_path)):
        s = await seed(api, api.container, await api.super_admin(), patients=1)
        both = await _at_once(api, [("/api/v1/appointments", s.body(11, doctor=d), s.desk) for d in (0, 1)])
        assert sorted(r.status_code for r in both) == [201, 409]


# --- the repository, 50 units of work at once

Unit = tuple[UnitOfWork, AppointmentRepository]


@pytest.fixture(params=ALL_BACKENDS)
async def units(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        store = InMemoryStore()

        def memory() -> Unit:
            uow = InMemoryUnitOfWork(store)
            return uow, InMemoryAppointmentRepository(uow)

        yield memory, None
        return
    async with _open_engine(request.param, tmp_path) as engine:
        role = app_role_of(engine)
        await migrate(engine, app_role=role)
        make = session_factory(engine, app_role=role)
        opened = []

        def sql() -> Unit:
            session = make()
            session.info[SCOPE_KEY] = ("*", "")
            opened.append(session)
            return SqlUnitOfWork(session), SqlAppointmentRepository(session, CIPHER)

        try:
            yield sql, make
        finally:
            for session in opened:
                await session.close()


def _appointment(
    ids: Callable[[], UUID], clinic: UUID, doctor: UUID, patient: UUID, start: datetime
) -> Appointment:
    now = datetime(2026, 3, 1, 9, tzinfo=UTC)
    return Appointment(
        id=ids(),
        clinic_id=clinic,
        location_id=clinic,
        doctor_id=doctor,
        patient_id=patient,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        status=AppointmentStatus.BOOKED,
        created_at=now,
        created_by=patient,
        updated_at=now,
        updated_by=patient,
    )


async def _race(open_unit: Callable[[], Unit], appointments: list[Appointment]) -> list[str]:
    now = datetime(2026, 3, 1, 9, tzinfo=UTC)

    async def attempt(appointment: Appointment) -> str:
        uow, repository = open_unit()

        async def work() -> None:
            await repository.add(appointment, now=now)
            await uow.commit()

        try:
            await uow.run(work)
        except AppointmentConflict:
            return "conflict"
        return "booked"

    tasks: list[Awaitable[str]] = [attempt(a) for a in appointments]
    return list(await asyncio.gather(*tasks))


async def test_fifty_units_of_work_for_one_slot_commit_exactly_one(units: Any, build: Any) -> None:
    open_unit, _ = units
    clinic, doctor = build.id(), build.id()
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    # Each contender wants a slightly different overlapping half-hour, with a patient of its own.
    contenders = [
        _appointment(build.id, clinic, doctor, build.id(), start + timedelta(minutes=n % 20))
        for n in range(CONTENDERS)
    ]
    outcomes = await _race(open_unit, contenders)
    assert sorted(outcomes) == ["booked"] + ["conflict"] * (CONTENDERS - 1)
    _, repository = open_unit()
    span_end = start + timedelta(hours=1)
    from domain.scheduling import Interval

    busy = await repository.busy(clinic, doctor, Interval(start, span_end), now=start - timedelta(days=1))
    assert len(busy) == 1


async def test_one_patient_with_two_doctors_at_once_commits_one(units: Any, build: Any) -> None:
    open_unit, _ = units
    clinic, patient = build.id(), build.id()
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    both = [_appointment(build.id, clinic, build.id(), patient, start) for _ in range(2)]
    assert sorted(await _race(open_unit, both)) == ["booked", "conflict"]

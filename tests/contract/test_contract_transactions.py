"""Units of work re-run on transient failures, never after a lost COMMIT; slow statements are 503.

On PostgreSQL a real deadlock between two units is provoked and both end committed; a statement
over the timeout is SERVICE_UNAVAILABLE and the pool is healthy afterwards.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from adapters.sql.engine import EngineOptions, create_engine, session_factory
from adapters.sql.errors import translated
from adapters.sql.migrate import migrate
from adapters.sql.repositories import SqlClinicRepository
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.uow import RetryPolicy, SqlUnitOfWork
from conftest import _postgres_engine, app_role_of
from domain.errors import ServiceUnavailable, TransientFailure

FAST = RetryPolicy(attempts=4, base_delay_seconds=0.001, max_delay_seconds=0.01)


async def test_a_transient_failure_re_runs_the_whole_unit(units, build) -> None:
    unit = units()
    clinic = build.clinic()
    runs = 0

    async def work() -> str:
        nonlocal runs
        runs += 1
        await unit.clinics.add(clinic)
        unit.uow.record(build.audit(clinic))
        if runs == 1:
            raise TransientFailure(context="simulated serialization failure")
        await unit.uow.commit()
        return "done"

    if type(unit.uow).__name__ == "InMemoryUnitOfWork":
        with pytest.raises(TransientFailure):  # nothing in memory is transient: no re-run
            await unit.uow.run(work)
        return
    assert await unit.uow.run(work) == "done"
    assert runs == 2
    reader = units()
    assert await reader.clinics.get(clinic.id) is not None
    assert [e.resource_id for e in await reader.audit.entries(clinic_id=clinic.id)] == [str(clinic.id)]


async def test_retries_are_bounded_then_service_unavailable(sql_engine) -> None:
    runs = 0

    async def always_transient() -> None:
        nonlocal runs
        runs += 1
        raise TransientFailure()

    async with session_factory(sql_engine)() as session:
        with pytest.raises(ServiceUnavailable) as gave_up:
            await SqlUnitOfWork(session, retry=FAST).run(always_transient)
    assert runs == FAST.attempts
    assert not isinstance(gave_up.value, TransientFailure)


@pytest.mark.postgres
async def test_a_real_deadlock_is_re_run_and_both_units_commit(build) -> None:
    async with _postgres_engine() as engine:
        role = app_role_of(engine)
        await migrate(engine, app_role=role)
        sessions = session_factory(engine, app_role=role)
        first, second = build.clinic(), build.clinic()
        async with sessions() as session:
            session.info[SCOPE_KEY] = ("*", "")
            await SqlClinicRepository(session).add(first)
            await SqlClinicRepository(session).add(second)
            await SqlUnitOfWork(session).commit()

        both_hold_one = asyncio.Barrier(2)
        attempts = {"a": 0, "b": 0}

        async def rename(name: str, order: tuple) -> None:
            async with sessions() as session:
                session.info[SCOPE_KEY] = ("*", "")
                uow = SqlUnitOfWork(session, retry=FAST)

                async def work() -> None:
                    attempts[name] += 1
                    async with translated(session):
                        await session.execute(
                            text("UPDATE clinics SET name = :n WHERE id = :id"),
                            {"n": name, "id": order[0].id},
                        )
                        if attempts[name] == 1:
                            await both_hold_one.wait()  # each holds one row lock: a cycle follows
                        await session.execute(
                            text("UPDATE clinics SET name = :n WHERE id = :id"),
                            {"n": name, "id": order[1].id},
                        )
                    await uow.commit()

                await uow.run(work)

        await asyncio.gather(rename("a", (first, second)), rename("b", (second, first)))
        assert sorted(attempts.values()) == [1, 2]  # PostgreSQL chose one victim; it ran again
        async with sessions() as session:
            session.info[SCOPE_KEY] = ("*", "")
            names = (await session.execute(text("SELECT DISTINCT name FROM clinics"))).scalars().all()
        assert len(names) == 1  # the re-run unit renamed both rows after the other committed


@pytest.mark.postgres
async def test_a_statement_over_the_timeout_is_503_and_the_pool_recovers() -> None:
    async with _postgres_engine() as base:
        url = base.url.render_as_string(hide_password=False)
        engine = create_engine(EngineOptions(url=url, statement_timeout_ms=200, pool_size=1, max_overflow=0))
        try:
            async with session_factory(engine)() as session:
                with pytest.raises(ServiceUnavailable) as slow:
                    async with translated(session):
                        await session.execute(text("SELECT pg_sleep(2)"))
                assert not isinstance(slow.value, TransientFailure)  # never re-run a slow query
            async with session_factory(engine)() as session:
                assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        finally:
            await engine.dispose()


@pytest.mark.postgres
async def test_a_stalled_statement_is_cut_by_the_client_and_not_re_run() -> None:
    """The server's timeout is off for this statement (as when the link, not the query, is slow):
    the client stops waiting a little after the configured timeout and answers 503."""
    async with _postgres_engine() as base:
        url = base.url.render_as_string(hide_password=False)
        engine = create_engine(EngineOptions(url=url, statement_timeout_ms=200, pool_size=1, max_overflow=0))
        try:
            async with session_factory(engine)() as session:
                started = asyncio.get_running_loop().time()
                with pytest.raises(ServiceUnavailable) as stalled:
                    async with translated(session):
                        await session.execute(text("SET LOCAL statement_timeout = 0"))
                        await session.execute(text("SELECT pg_sleep(30)"))
                waited = asyncio.get_running_loop().time() - started
                assert not isinstance(stalled.value, TransientFailure)
                assert waited < 10  # about 0.2 s + the 1 s margin, not the 30 s the server would take
            async with session_factory(engine)() as session:
                assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        finally:
            await engine.dispose()

"""SQL adapters only: an unreachable database is SERVICE_UNAVAILABLE, and the probe tells it apart."""

from __future__ import annotations

import asyncio
import threading

import pytest

from adapters.sql.engine import EngineOptions, create_engine, session_factory
from adapters.sql.health import DatabaseProbe
from adapters.sql.repositories import SqlClinicRepository
from adapters.sql.uow import SqlUnitOfWork
from domain.errors import ServiceUnavailable

# Nothing listens on port 1; a directory where the SQLite file should be cannot be opened.
UNREACHABLE = {
    "postgres": lambda _: "postgresql+asyncpg://postgres@127.0.0.1:1/unreachable",
    "sqlite": lambda tmp_path: f"sqlite+aiosqlite:///{tmp_path / 'is-a-directory'}",
}


@pytest.fixture(params=sorted(UNREACHABLE))
async def unreachable_engine(request, tmp_path):
    (tmp_path / "is-a-directory").mkdir()
    engine = create_engine(EngineOptions(url=UNREACHABLE[request.param](tmp_path), connect_timeout_seconds=1))
    yield engine
    await engine.dispose()
    # aiosqlite stops the worker thread of a connection that failed to open without awaiting
    # it; let those threads finish while this test's event loop still runs.
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5)


async def test_reads_and_commits_fail_as_service_unavailable(unreachable_engine, build):
    async with session_factory(unreachable_engine)() as session:
        with pytest.raises(ServiceUnavailable) as read_failure:
            await SqlClinicRepository(session).get(build.id())
        uow = SqlUnitOfWork(session)
        uow.record(build.audit())
        with pytest.raises(ServiceUnavailable) as commit_failure:
            await uow.commit()

    assert read_failure.value.retry_after == commit_failure.value.retry_after == 2


async def test_the_probe_fails_when_the_database_is_unreachable(unreachable_engine):
    probe = DatabaseProbe(unreachable_engine)
    assert probe.name == "database"
    with pytest.raises(Exception):  # any error means "not ready"
        await probe.check()


async def test_the_probe_passes_on_a_reachable_database(sql_engine):
    await DatabaseProbe(sql_engine).check()

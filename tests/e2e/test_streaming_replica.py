"""The production profile with a real streaming read replica (tests/e2e/pg_replica.py): reads go
to the replica, a request that wrote reads the primary, and with the replica stopped reads fall
back to the primary. The replica's replay is paused to tell the two apart: a row written since
then exists on the primary only.

The read cache is off here (it would answer before either database is asked) and so are the
rate limits (their counters would live in the shared Redis)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
from dishka import AsyncContainer
from pg_replica import Replica, streaming_replica
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "http"))
from http_api import another_app, assert_error, operator_header, production_database

from adapters.sql.replicas import ReplicaSet
from application.ports.uow import UnitOfWork
from cache_support import wait_until
from entrypoints.bootstrap import as_system
from entrypoints.config import Settings
from entrypoints.ioc.profiles import build_container

pytestmark = pytest.mark.postgres
OPERATOR = "ops@example.com"
QUIET = {"CACHE_ENABLED": "false", "RATE_LIMIT_ENABLED": "false", "DATABASE_REPLICA_CHECK_SECONDS": "0.2"}


@pytest.fixture
def replica() -> Iterator[Replica]:
    with streaming_replica() as running:
        yield running


@asynccontextmanager
async def with_replica(tmp_path: Path, replica: Replica) -> AsyncIterator[Settings]:
    """A database of the test's own on the primary, migrated and replicated, and settings that
    read from its copy on the replica."""
    async with production_database(tmp_path, **QUIET) as settings:
        database = make_url(settings.database.url).database or ""
        replica.caught_up()
        yield dataclasses.replace(
            settings,
            database=dataclasses.replace(settings.database, replica_urls=(replica.url(database),)),
        )


async def test_reads_go_to_the_replica_and_a_writer_reads_its_own_write(
    tmp_path: Path, replica: Replica
) -> None:
    async with with_replica(tmp_path, replica) as settings, AsyncExitStack() as stack:
        admin = await stack.enter_async_context(operator_header(settings, OPERATOR))
        replica.caught_up()  # the operator, written on the primary, can sign requests on the replica
        api = await stack.enter_async_context(another_app(settings))
        # The app's container belongs to the app's loop: ask the read path through one of ours.
        probe = await stack.enter_async_context(_container(settings))

        async with probe() as request:  # the read path's own answer: a server in recovery
            session = await request.get(AsyncSession)
            assert (await session.execute(select(func.pg_is_in_recovery()))).scalar_one() is True

        replica.pause_replay()
        try:
            created = await api.client.post(
                "/api/v1/clinics", json={"name": "Fresh", "timeZone": "UTC"}, headers=admin
            )
            assert created.status_code == 201, created.text
            clinic = created.json()["id"]
            # A plain read asks the replica, which has not seen the clinic yet.
            assert_error(
                await api.client.get(f"/api/v1/clinics/{clinic}", headers=admin), 404, "CLINIC_NOT_FOUND"
            )
            # A request that writes reads the primary: the clinic is there to be renamed.
            renamed = await api.client.patch(
                f"/api/v1/clinics/{clinic}", json={"name": "Renamed"}, headers=admin
            )
            assert renamed.status_code == 200, renamed.text
            assert renamed.json()["name"] == "Renamed"

            async with probe() as request:  # after writing, the rest of the request reads the primary
                await as_system(request)
                session = await request.get(AsyncSession)
                uow = await request.get(UnitOfWork)

                async def nothing() -> None:
                    await uow.commit()

                await uow.run(nothing)
                assert (await session.execute(select(func.pg_is_in_recovery()))).scalar_one() is False
        finally:
            replica.resume_replay()

        replica.caught_up()
        seen = await api.client.get(f"/api/v1/clinics/{clinic}", headers=admin)
        assert seen.status_code == 200 and seen.json()["name"] == "Renamed", seen.text


async def test_with_the_replica_stopped_reads_fall_back_to_the_primary(
    tmp_path: Path, replica: Replica
) -> None:
    async with with_replica(tmp_path, replica) as settings, AsyncExitStack() as stack:
        admin = await stack.enter_async_context(operator_header(settings, OPERATOR))
        api = await stack.enter_async_context(another_app(settings))
        created = await api.client.post(
            "/api/v1/clinics", json={"name": "Kept", "timeZone": "UTC"}, headers=admin
        )
        assert created.status_code == 201, created.text
        clinic = created.json()["id"]
        replica.caught_up()
        assert (await api.client.get(f"/api/v1/clinics/{clinic}", headers=admin)).status_code == 200
        replicas = await api.container.get(ReplicaSet)
        assert replicas.healthy == 1

        replica.stop()
        await wait_until(lambda: replicas.healthy == 0, what="the health check to drop the replica")
        for _ in range(5):
            read = await api.client.get(f"/api/v1/clinics/{clinic}", headers=admin)
            assert read.status_code == 200 and read.json()["name"] == "Kept", read.text
        probe = await stack.enter_async_context(_container(settings))
        await (await probe.get(ReplicaSet)).check_now()
        async with probe() as request:
            session = await request.get(AsyncSession)
            assert (await session.execute(select(func.pg_is_in_recovery()))).scalar_one() is False


@asynccontextmanager
async def _container(settings: Settings) -> AsyncIterator[AsyncContainer]:
    container = build_container(settings)
    try:
        yield container
    finally:
        await container.close()

"""Read routing: reads go to a healthy replica; writing units and the rest of their request read
the primary; with the replica down, reads fall back to the primary.

A second schema of the same server stands in for the replica, holding different rows, so the
test can tell which one answered. (The production-readiness issue runs a real streaming replica.)
"""

from __future__ import annotations

import pytest

from adapters.sql.engine import EngineOptions, create_engine, session_factory
from adapters.sql.migrate import migrate
from adapters.sql.replicas import ReplicaSet
from adapters.sql.repositories import SqlClinicRepository
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.uow import SqlUnitOfWork
from conftest import Build, _postgres_engine, app_role_of

pytestmark = pytest.mark.postgres


async def seed(engine, role, clinic) -> None:
    await migrate(engine, app_role=role)
    async with session_factory(engine, app_role=role)() as session:
        session.info[SCOPE_KEY] = ("*", "")
        await SqlClinicRepository(session).add(clinic)
        await SqlUnitOfWork(session).commit()


async def names(session) -> list[str]:
    return [c.name for c in await SqlClinicRepository(session).list(among=None, after=None, limit=10)]


async def test_reads_use_the_replica_and_writers_read_their_writes() -> None:
    build = Build()
    async with _postgres_engine() as primary, _postgres_engine() as replica:
        await seed(primary, app_role_of(primary), build.clinic(name="On the primary"))
        await seed(replica, app_role_of(replica), build.clinic(name="On the replica"))
        replicas = ReplicaSet([replica])
        # Each stand-in schema has its own restricted role; routing is what is tested here.
        sessions = session_factory(primary, app_role=None, replicas=replicas)
        try:
            async with sessions() as session:
                session.info[SCOPE_KEY] = ("*", "")
                assert await names(session) == ["On the replica"]

            async with sessions() as session:
                session.info[SCOPE_KEY] = ("*", "")
                uow = SqlUnitOfWork(session)
                added = build.clinic(name="Just written")

                async def write() -> None:
                    await SqlClinicRepository(session).add(added)
                    await uow.commit()

                await uow.run(write)
                assert sorted(await names(session)) == ["Just written", "On the primary"]
        finally:
            await replicas.close()


async def test_with_the_replica_down_reads_fall_back_to_the_primary() -> None:
    build = Build()
    async with _postgres_engine() as primary:
        await seed(primary, app_role_of(primary), build.clinic(name="On the primary"))
        down = create_engine(
            EngineOptions(url="postgresql+asyncpg://postgres@127.0.0.1:1/none", connect_timeout_seconds=1)
        )
        replicas = ReplicaSet([down], timeout_seconds=1)
        try:
            await replicas.check_now()
            assert replicas.healthy == 0
            async with session_factory(primary, replicas=replicas)() as session:
                session.info[SCOPE_KEY] = ("*", "")
                assert await names(session) == ["On the primary"]
        finally:
            await replicas.close()

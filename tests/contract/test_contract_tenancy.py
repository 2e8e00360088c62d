"""The database's second wall: row-level security on PostgreSQL.

Raw SQL through the application's own session, scoped to clinic A, can neither read nor write
clinic B's rows; an unscoped session sees no clinic at all; the audit trail is append-only for
the application role. (SQLite has no row-level security; the README says so.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.engine import session_factory
from adapters.sql.migrate import migrate
from adapters.sql.repositories import SqlClinicRepository, SqlLocationRepository, SqlUserRepository
from adapters.sql.tenancy import SqlTenantScope
from adapters.sql.uow import SqlUnitOfWork
from conftest import USER_CODEC, Build, _postgres_engine, app_role_of

pytestmark = pytest.mark.postgres


@pytest.fixture
async def sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with _postgres_engine() as engine:
        role = app_role_of(engine)
        await migrate(engine, app_role=role)
        yield session_factory(engine, app_role=role)


async def two_clinics(sessions, build: Build):
    a, b = build.clinic(), build.clinic()
    loc_a, loc_b = build.location(a), build.location(b)
    async with sessions() as session:
        await SqlTenantScope(session).apply(user_id=None, clinic_ids=None)
        for clinic in (a, b):
            await SqlClinicRepository(session).add(clinic)
        for location in (loc_a, loc_b):
            await SqlLocationRepository(session).add(location)
        await SqlUnitOfWork(session).commit()
    return a, b, loc_a, loc_b


async def test_raw_sql_in_a_scoped_session_sees_only_its_clinic(sessions) -> None:
    a, b, loc_a, loc_b = await two_clinics(sessions, Build())
    async with sessions() as session:
        await SqlTenantScope(session).apply(user_id=None, clinic_ids={a.id})
        clinics = (await session.execute(text("SELECT id FROM clinics"))).scalars().all()
        locations = (await session.execute(text("SELECT id FROM clinic_locations"))).scalars().all()
        assert {str(c) for c in clinics} == {str(a.id)}
        assert {str(x) for x in locations} == {str(loc_a.id)}
        # Even naming B's row explicitly finds nothing, and changing it changes nothing.
        found = await session.execute(text("SELECT 1 FROM clinic_locations WHERE id = :id"), {"id": loc_b.id})
        assert found.first() is None
        updated = await session.execute(
            text("UPDATE clinics SET name = 'taken' WHERE id = :id"), {"id": b.id}
        )
        assert updated.rowcount == 0


async def test_writing_into_another_clinic_is_refused(sessions) -> None:
    build = Build()
    _a, b, _, _ = await two_clinics(sessions, build)
    a2 = build.clinic()
    async with sessions() as session:
        await SqlTenantScope(session).apply(user_id=None, clinic_ids={a2.id})
        with pytest.raises(DBAPIError) as refused:
            await session.execute(
                text(
                    "INSERT INTO clinic_locations (clinic_id, id, name, address, created_at) "
                    "VALUES (:c, :i, 'x', 'y', now())"
                ),
                {"c": b.id, "i": build.id()},
            )
        assert "row-level security" in str(refused.value.orig)


async def test_an_unscoped_session_sees_no_clinic_but_users_stay_readable(sessions) -> None:
    build = Build()
    await two_clinics(sessions, build)
    user = build.user()
    async with sessions() as session:
        await SqlTenantScope(session).apply(user_id=None, clinic_ids=None)
        await SqlUserRepository(session, USER_CODEC).add(user)
        await SqlUnitOfWork(session).commit()
    async with sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM clinics"))).scalar_one() == 0
        assert await SqlUserRepository(session, USER_CODEC).get(user.id) is not None


async def test_a_user_reads_their_own_memberships_before_their_clinics_are_known(sessions) -> None:
    build = Build()
    a, b, _, _ = await two_clinics(sessions, build)
    user = build.user()
    from adapters.sql.repositories import SqlMembershipRepository

    async with sessions() as session:
        await SqlTenantScope(session).apply(user_id=None, clinic_ids=None)
        await SqlUserRepository(session, USER_CODEC).add(user)
        await SqlMembershipRepository(session).add(build.membership(a, user))
        await SqlUnitOfWork(session).commit()
    async with sessions() as session:
        await SqlTenantScope(session).apply(user_id=user.id, clinic_ids=set())
        held = await SqlMembershipRepository(session).of_user(user.id)
        assert [m.clinic_id for m in held] == [a.id]
        assert await SqlMembershipRepository(session).list(b.id, after=None, limit=10) == []


async def test_the_application_role_cannot_rewrite_the_audit_trail(sessions) -> None:
    async with sessions() as session:
        await SqlTenantScope(session).apply(user_id=None, clinic_ids=None)
        with pytest.raises(DBAPIError) as refused:
            await session.execute(text("DELETE FROM audit_entries"))
        assert "permission denied" in str(refused.value.orig)


async def test_raw_rows_hold_no_plaintext_personal_data(sessions) -> None:
    build = Build()
    user = build.user()
    async with sessions() as session:
        await SqlTenantScope(session).apply(user_id=None, clinic_ids=None)
        await SqlUserRepository(session, USER_CODEC).add(user)
        await SqlUnitOfWork(session).commit()
    async with sessions() as session:
        row = (await session.execute(text("SELECT * FROM users"))).mappings().one()
    dump = repr(dict(row)).lower()
    for clear in (
        user.name,
        user.email.value if user.email else None,
        user.phone.value if user.phone else None,
    ):
        if clear:
            assert clear.lower() not in dump

"""Session and refresh-token repositories: the same contract on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from system_sessions import system_sessions

from adapters.memory.repositories import InMemoryUserRepository
from adapters.memory.sessions import InMemoryRefreshTokenRepository, InMemorySessionRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.repositories import SqlUserRepository
from adapters.sql.sessions import SqlRefreshTokenRepository, SqlSessionRepository
from adapters.sql.uow import SqlUnitOfWork
from conftest import ALL_BACKENDS, USER_CODEC, Build
from domain.sessions import AuthSession, RefreshTokenRecord, SessionEnd

Parts = tuple  # (uow, users, sessions, refresh_tokens)


@pytest.fixture(params=ALL_BACKENDS)
async def parts(request, tmp_path) -> AsyncIterator[Callable[[], Parts]]:
    if request.param == "memory":
        store = InMemoryStore()

        def memory() -> Parts:
            uow = InMemoryUnitOfWork(store)
            return (
                uow,
                InMemoryUserRepository(uow),
                InMemorySessionRepository(uow),
                InMemoryRefreshTokenRepository(uow),
            )

        yield memory
        return
    async with system_sessions(request.param, tmp_path) as new_session:

        def sql() -> Parts:
            session = new_session()
            return (
                SqlUnitOfWork(session),
                SqlUserRepository(session, USER_CODEC),
                SqlSessionRepository(session),
                SqlRefreshTokenRepository(session),
            )

        yield sql


async def started(parts, build: Build) -> AuthSession:
    uow, users, sessions, refresh = parts()
    user = build.user()
    await users.add(user)
    now = build.now()
    session = AuthSession(
        id=build.id(),
        user_id=user.id,
        created_at=now,
        last_refreshed_at=now,
        expires_at=now + timedelta(days=1),
    )
    await sessions.add(session)
    await refresh.add(RefreshTokenRecord(token_hash="a" * 64, session_id=session.id, issued_at=now))
    await uow.commit()
    return session


async def test_sessions_round_trip_refresh_and_revoke_once(parts, build) -> None:
    session = await started(parts, build)
    uow, _, sessions, _ = parts()
    assert await sessions.get(session.id) == session
    later = build.now()
    await sessions.refreshed(session.id, later)
    assert await sessions.revoke(session.id, later, SessionEnd.LOGOUT) is True
    assert await sessions.revoke(session.id, later, SessionEnd.LOGOUT) is False
    await uow.commit()
    stored = await parts()[2].get(session.id)
    assert (stored.last_refreshed_at, stored.revoked_at, stored.revoked_reason) == (
        later,
        later,
        SessionEnd.LOGOUT,
    )
    assert await parts()[2].get(build.id()) is None


async def test_of_racing_uses_of_one_refresh_token_exactly_one_wins(parts, build) -> None:
    await started(parts, build)
    racers = [parts() for _ in range(8)]

    async def use(racer) -> bool:
        uow, _, _, refresh = racer
        try:
            won = await refresh.use("a" * 64, build.now())
            await uow.commit()
            return won
        except Exception:
            await uow.rollback()
            return False

    results = await asyncio.gather(*(use(r) for r in racers))
    assert results.count(True) == 1
    record = await parts()[3].get("a" * 64)
    assert record is not None and record.used_at is not None

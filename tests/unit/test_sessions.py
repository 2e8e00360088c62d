"""Sessions: rotation, replay detection, logout, idle and absolute lifetimes (memory adapters)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from memory_world import World

from adapters.memory.sessions import InMemoryRefreshTokenRepository, InMemorySessionRepository
from adapters.security.jwt_tokens import JwtAccessTokens, JwtOptions
from adapters.security.secret_hasher import HmacSecretHasher
from application.auth.log_out import LogOut
from application.auth.refresh_session import RefreshSession
from application.auth.session_tokens import SessionPolicy, SessionTokens
from domain.access import Actor
from domain.errors import InvalidCredentials
from domain.sessions import SessionEnd

POLICY = SessionPolicy(
    idle=timedelta(hours=1), lifetime=timedelta(hours=5), reuse_grace=timedelta(seconds=10)
)
JWT = JwtOptions(
    signing_key="s" * 48, algorithm="HS256", issuer="i", audience="a", ttl_minutes=15, leeway_seconds=0
)


class Sessions:
    def __init__(self, world: World) -> None:
        self.world = world
        self.access = JwtAccessTokens(JWT, world.clock)
        self.hasher = HmacSecretHasher(b"k")

    def parts(self):
        unit = self.world.unit()
        sessions = InMemorySessionRepository(unit.uow)
        refresh = InMemoryRefreshTokenRepository(unit.uow)
        tokens = SessionTokens(sessions, refresh, self.access, self.hasher, self.world.ids, POLICY)
        return unit, sessions, refresh, tokens

    async def open(self, user_id):
        unit, _, _, tokens = self.parts()
        pair = await tokens.open(user_id, self.world.clock.now())
        await unit.uow.commit()
        return pair

    async def refresh(self, token: str):
        unit, sessions, refresh, tokens = self.parts()
        return await RefreshSession(sessions, refresh, tokens, unit.uow, unit.clock, unit.audit)(token)

    async def session(self, session_id):
        _, sessions, _, _ = self.parts()
        return await sessions.get(session_id)


@pytest.fixture
def auth(world: World) -> Sessions:
    return Sessions(world)


async def test_refresh_rotates_and_the_access_token_names_the_session(auth: Sessions) -> None:
    first = await auth.open(uuid4())
    assert auth.access.verify(first.access_token).session_id == first.session_id
    second = await auth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token and second.session_id == first.session_id
    third = await auth.refresh(second.refresh_token)
    assert third.session_id == first.session_id


async def test_a_replay_within_the_grace_window_is_refused_but_the_session_lives(
    auth: Sessions, clock
) -> None:
    first = await auth.open(uuid4())
    second = await auth.refresh(first.refresh_token)
    clock.advance(seconds=5)
    with pytest.raises(InvalidCredentials):
        await auth.refresh(first.refresh_token)
    assert (await auth.session(first.session_id)).revoked_at is None
    await auth.refresh(second.refresh_token)


async def test_a_replay_after_the_grace_window_revokes_the_whole_session_once(
    auth: Sessions, clock, world
) -> None:
    first = await auth.open(uuid4())
    second = await auth.refresh(first.refresh_token)
    clock.advance(seconds=11)
    with pytest.raises(InvalidCredentials):
        await auth.refresh(first.refresh_token)
    session = await auth.session(first.session_id)
    assert session.revoked_reason is SessionEnd.REFRESH_REPLAYED
    with pytest.raises(InvalidCredentials):  # the thief's copy and the owner's successor alike
        await auth.refresh(second.refresh_token)
    assert [e.action for e in world.store.audit] == ["REFRESH_TOKEN_REPLAYED"]


async def test_idle_and_absolute_lifetimes_end_sessions(auth: Sessions, clock) -> None:
    idle = await auth.open(uuid4())
    clock.advance(minutes=61)
    with pytest.raises(InvalidCredentials):
        await auth.refresh(idle.refresh_token)

    busy = await auth.open(uuid4())
    pair = busy
    for _ in range(5):
        clock.advance(minutes=59)
        pair = await auth.refresh(pair.refresh_token)
    clock.advance(minutes=59)  # 5 h 54 min after sign-in: past the 5 h lifetime
    with pytest.raises(InvalidCredentials):
        await auth.refresh(pair.refresh_token)


async def test_logout_revokes_and_is_audited(auth: Sessions, world) -> None:
    user = uuid4()
    pair = await auth.open(user)
    unit, sessions, _, _ = auth.parts()
    await LogOut(sessions, unit.uow, unit.clock, unit.audit)(Actor(user_id=user, session_id=pair.session_id))
    assert (await auth.session(pair.session_id)).revoked_reason is SessionEnd.LOGOUT
    with pytest.raises(InvalidCredentials):
        await auth.refresh(pair.refresh_token)
    assert [e.action for e in world.store.audit] == ["LOGOUT"]


async def test_an_unknown_refresh_token_is_invalid(auth: Sessions) -> None:
    with pytest.raises(InvalidCredentials):
        await auth.refresh("made-up")

"""The verified-claims cache in front of the JWT verifier: what it keeps, for how long, and that
nothing it keeps lets a bad, expired or revoked token through."""

from __future__ import annotations

from uuid import uuid4

import jwt
import pytest
from memory_world import World, super_admin

from adapters.memory.sessions import InMemoryRefreshTokenRepository, InMemorySessionRepository
from adapters.memory.tenancy import InMemoryTenantScope
from adapters.security.jwt_tokens import JwtAccessTokens, JwtOptions
from adapters.security.secret_hasher import HmacSecretHasher
from adapters.security.token_claims_cache import CachedAccessTokens
from application.auth.authenticate import Authenticate
from application.auth.log_out import LogOut
from application.auth.session_tokens import SessionPolicy, SessionTokens
from application.users.create_user import CreateUser, CreateUserCommand
from domain.access import Actor
from domain.errors import InvalidCredentials, TokenExpired

SECRET = "a-test-secret-that-is-long-enough-0123456789abcdef"
OPTIONS = JwtOptions(
    signing_key=SECRET, algorithm="HS256", issuer="iss", audience="aud", ttl_minutes=15, leeway_seconds=30
)


@pytest.fixture
def tokens(clock) -> CachedAccessTokens:
    return CachedAccessTokens(JwtAccessTokens(OPTIONS, clock), clock, max_entries=3)


def test_a_verified_token_is_kept_and_answers_the_same_claims(tokens: CachedAccessTokens) -> None:
    user, session = uuid4(), uuid4()
    token = tokens.issue(user, session_id=session).token
    first = tokens.verify(token)
    assert (first.user_id, first.session_id) == (user, session)
    assert len(tokens) == 1
    assert tokens.verify(token) == first
    assert len(tokens) == 1


def test_refused_tokens_are_never_kept(tokens: CachedAccessTokens) -> None:
    good = tokens.issue(uuid4()).token
    tokens.verify(good)
    header, body, signature = good.split(".")
    tampered = f"{header}.{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    claims = jwt.decode(good, options={"verify_signature": False})
    forged = jwt.encode(
        {**claims, "sub": str(uuid4())}, "another-secret-long-enough-0123456789", headers={"kid": "k1"}
    )
    for bad in (tampered, forged, "not-a-token", good + "x"):
        for _ in range(2):  # the second attempt must be refused as well: nothing was cached
            with pytest.raises(InvalidCredentials):
                tokens.verify(bad)
    assert len(tokens) == 1


def test_an_entry_ends_at_the_token_exp_and_the_verifier_decides_again(
    tokens: CachedAccessTokens, clock
) -> None:
    token = tokens.issue(uuid4(), ttl_minutes=1).token
    tokens.verify(token)
    clock.advance(seconds=59)
    tokens.verify(token)
    clock.advance(seconds=2)  # past exp, within the 30 s leeway: still accepted, not kept
    tokens.verify(token)
    assert len(tokens) == 0
    clock.advance(seconds=30)
    with pytest.raises(TokenExpired):
        tokens.verify(token)
    assert len(tokens) == 0


def test_the_cache_is_bounded_least_recently_used_first(tokens: CachedAccessTokens) -> None:
    issued = [tokens.issue(uuid4()).token for _ in range(5)]
    for token in issued:
        tokens.verify(token)
    assert len(tokens) == 3
    tokens.verify(issued[2])  # recently used: survives the next insertion
    tokens.verify(issued[0])  # evicts issued[3], the least recently used
    assert len(tokens) == 3
    for token in issued:  # every one still verifies, cached or not
        assert tokens.verify(token).token_id == jwt.decode(token, options={"verify_signature": False})["jti"]


def test_max_entries_zero_keeps_nothing(clock) -> None:
    tokens = CachedAccessTokens(JwtAccessTokens(OPTIONS, clock), clock, max_entries=0)
    token = tokens.issue(uuid4()).token
    tokens.verify(token)
    assert len(tokens) == 0


async def test_a_revoked_session_is_refused_on_the_next_request_with_claims_cached(
    world: World, clock, tokens: CachedAccessTokens
) -> None:
    unit = world.unit()
    user = await CreateUser(unit.users, unit.uow, unit.clock, unit.ids, unit.audit)(
        CreateUserCommand(name="Ana Lima", email="ana@example.com"), super_admin(world.ids)
    )
    unit = world.unit()
    session_tokens = SessionTokens(
        InMemorySessionRepository(unit.uow),
        InMemoryRefreshTokenRepository(unit.uow),
        tokens,
        HmacSecretHasher(b"k"),
        world.ids,
        SessionPolicy(),
    )
    pair = await session_tokens.open(user.id, clock.now())
    await unit.uow.commit()

    async def authenticate(request_id: str) -> Actor:
        request = world.unit()
        sessions = InMemorySessionRepository(request.uow)
        scope = InMemoryTenantScope()
        return await Authenticate(tokens, request.users, request.memberships, sessions, scope, clock)(
            pair.access_token, request_id=request_id
        )

    assert (await authenticate("r1")).user_id == user.id
    assert (await authenticate("r2")).user_id == user.id
    assert len(tokens) == 1  # the claims are cached from here on
    unit = world.unit()
    await LogOut(InMemorySessionRepository(unit.uow), unit.uow, clock, unit.audit)(
        Actor(user_id=user.id, session_id=pair.session_id)
    )
    with pytest.raises(InvalidCredentials):
        await authenticate("r3")

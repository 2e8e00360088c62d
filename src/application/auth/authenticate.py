"""Turn a bearer token into the Actor that use cases receive."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.caching import UNCACHED, QueryCache, cached
from application.ports.cache import FREQUENT, Compliance
from application.ports.clock import Clock
from application.ports.repositories import MembershipRepository, UserRepository
from application.ports.security import AccessTokens
from application.ports.sessions import SessionRepository
from application.ports.tenancy import TenantScope
from domain.access import Actor, ClinicRole
from domain.errors import InvalidCredentials
from domain.identity import Membership, User
from domain.sessions import AuthSession

SESSION_CHECK_SECONDS = 30.0
"""How long one process may answer "live" for a session without reading it again."""


class Authenticate:
    """Authenticate a request.

    - The token must verify (TOKEN_EXPIRED for an expired one, INVALID_CREDENTIALS otherwise).
    - The user must still exist and be active: a deactivated user's tokens stop working at once.
      (The user and their memberships are cached as sensitive data, encrypted outside the
      process; a write to either drops them in every process after its commit, and these checks
      run on the cached objects on every request.)
    - The token's session must be live: after logout or a revocation the access token is refused
      on the next request. The session is read from the store, then kept in this process only
      (never in Redis, so no Redis outage can leave a stale copy behind) for SESSION_CHECK_SECONDS
      at most, never served stale; a revocation drops it at once in the process that revoked it
      and, through the invalidation channel, in every other process within milliseconds. A
      process that loses that channel drops its whole L1 and keeps entries for seconds until it
      is back, so the only longer window is one process cut off from Redis while the others are
      not: SESSION_CHECK_SECONDS at most.
    - Memberships are read per request, not frozen into the token, so a role change takes effect
      on the next request.
    - The request's tenant scope is narrowed to the caller's clinics (all for a super admin), so
      the store enforces what the use cases check.
    """

    def __init__(
        self,
        tokens: AccessTokens,
        users: UserRepository,
        memberships: MembershipRepository,
        sessions: SessionRepository,
        scope: TenantScope,
        clock: Clock,
        cache: QueryCache = UNCACHED,
    ) -> None:
        self._tokens = tokens
        self._users = users
        self._memberships = memberships
        self._sessions = sessions
        self._scope = scope
        self._clock = clock
        self.cache = cache

    async def __call__(self, token: str, *, request_id: str | None) -> Actor:
        claims = self._tokens.verify(token)
        # Scoped to the caller (whose own memberships are visible) before any statement, so a
        # transaction a cache miss opens starts with it: the token's signature vouches for the id.
        await self._scope.apply(user_id=claims.user_id, clinic_ids=())
        user = await self.user(claims.user_id)
        if user is None or not user.active:
            raise InvalidCredentials()
        held = await self.memberships(user.id)
        actor = Actor(
            user_id=user.id,
            is_super_admin=user.is_super_admin,
            memberships={m.clinic_id: ClinicRole(m.role, m.location_ids) for m in held},
            request_id=request_id,
            session_id=claims.session_id,
        )
        # From here on the store's own wall (row-level security) matches the caller's clinics.
        await self._scope.apply(user_id=user.id, clinic_ids=None if user.is_super_admin else actor.clinic_ids)
        # The session last: when the user and memberships came from the cache, this is the
        # request's first statement, and its transaction starts with the final scope (one
        # set_config, not one per change of scope).
        if claims.session_id is not None:
            session = await self.session(claims.session_id)
            if session is None or session.user_id != claims.user_id or not session.is_live(self._clock.now()):
                raise InvalidCredentials()
        return actor

    @cached("user:{user_id}", policy=FREQUENT, tags=("user:{user_id}",), phi=True)
    async def user(self, user_id: UUID) -> User | None:
        return await self._users.get(user_id)

    @cached(
        "user:{user_id}:memberships",
        policy=FREQUENT,
        tags=("user:{user_id}", "memberships:{user_id}"),
        phi=True,  # that someone is a patient of a clinic is health information
    )
    async def memberships(self, user_id: UUID) -> Sequence[Membership]:
        return await self._memberships.of_user(user_id)

    @cached(
        "session:{session_id}",
        ttl=SESSION_CHECK_SECONDS,
        stale_time=SESSION_CHECK_SECONDS,  # never served stale: past its time it is read again
        compliance=Compliance.RESTRICTED,  # in this process only
        tags=("session:{session_id}",),
    )
    async def session(self, session_id: UUID) -> AuthSession | None:
        return await self._sessions.get(session_id)

"""Turn a bearer token into the Actor that use cases receive."""

from __future__ import annotations

from application.ports.repositories import MembershipRepository, UserRepository
from application.ports.security import AccessTokens
from application.ports.tenancy import TenantScope
from domain.access import Actor, ClinicRole
from domain.errors import InvalidCredentials


class Authenticate:
    """Authenticate a request.

    - The token must verify (TOKEN_EXPIRED for an expired one, INVALID_CREDENTIALS otherwise).
    - The user must still exist and be active: a deactivated user's tokens stop working at once.
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
        scope: TenantScope,
    ) -> None:
        self._tokens = tokens
        self._users = users
        self._memberships = memberships
        self._scope = scope

    async def __call__(self, token: str, *, request_id: str | None) -> Actor:
        claims = self._tokens.verify(token)
        user = await self._users.get(claims.user_id)
        if user is None or not user.active:
            raise InvalidCredentials()
        await self._scope.apply(user_id=user.id, clinic_ids=())
        held = await self._memberships.of_user(user.id)
        actor = Actor(
            user_id=user.id,
            is_super_admin=user.is_super_admin,
            memberships={m.clinic_id: ClinicRole(m.role, m.location_ids) for m in held},
            request_id=request_id,
        )
        # From here on the store's own wall (row-level security) matches the caller's clinics.
        await self._scope.apply(user_id=user.id, clinic_ids=None if user.is_super_admin else actor.clinic_ids)
        return actor

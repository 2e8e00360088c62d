"""Read one user."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import MembershipRepository, UserRepository
from domain.access import Action, Actor, Decision, decide
from domain.errors import UserNotFound
from domain.identity import User


class GetUser:
    """Read one user.

    - Super admins see every user; anyone sees themselves.
    - Others see a user only when that user is a member of a clinic where the caller may view
      members. Everyone else gets USER_NOT_FOUND, so ids reveal nothing.
    """

    def __init__(self, users: UserRepository, memberships: MembershipRepository) -> None:
        self._users = users
        self._memberships = memberships

    async def __call__(self, user_id: UUID, actor: Actor) -> User:
        user = await self._users.get(user_id)
        if user is None or not await self._may_see(user, actor):
            raise UserNotFound()
        return user

    async def _may_see(self, user: User, actor: Actor) -> bool:
        if actor.is_super_admin or user.id == actor.user_id:
            return True
        return any(
            decide(actor, Action.VIEW_MEMBERS, membership.clinic_id) is Decision.ALLOWED
            for membership in await self._memberships.of_user(user.id)
        )

"""The caller's own user and memberships."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports.repositories import MembershipRepository, UserRepository
from domain.access import Actor
from domain.errors import InvalidCredentials
from domain.identity import Membership, User


@dataclass(frozen=True, slots=True)
class Me:
    user: User
    memberships: Sequence[Membership]


class WhoAmI:
    """Anyone signed in may read themselves: their user and every clinic membership."""

    def __init__(self, users: UserRepository, memberships: MembershipRepository) -> None:
        self._users = users
        self._memberships = memberships

    async def __call__(self, actor: Actor) -> Me:
        user = await self._users.get(actor.user_id)
        if user is None:
            raise InvalidCredentials()
        return Me(user=user, memberships=await self._memberships.of_user(actor.user_id))

"""Read one membership of a clinic."""

from __future__ import annotations

from uuid import UUID

from application.access import require
from application.ports.repositories import MembershipRepository
from domain.access import Action, Actor
from domain.errors import UserNotFound
from domain.identity import Membership


class GetMember:
    """Read one member of a clinic.

    - Staff of the clinic and super admins may read it (as for the member list).
    - A user who is not a member of this clinic is USER_NOT_FOUND here.
    """

    def __init__(self, memberships: MembershipRepository) -> None:
        self._memberships = memberships

    async def __call__(self, clinic_id: UUID, user_id: UUID, actor: Actor) -> Membership:
        require(actor, Action.VIEW_MEMBERS, clinic_id)
        membership = await self._memberships.get(clinic_id, user_id)
        if membership is None:
            raise UserNotFound()
        return membership

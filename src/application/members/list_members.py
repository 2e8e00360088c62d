"""List a clinic's members."""

from __future__ import annotations

from uuid import UUID

from application.access import require
from application.audit.denials import DeniedAttempts
from application.pagination import Page, PageRequest, page_of
from application.ports.repositories import MembershipRepository
from domain.access import Action, Actor
from domain.identity import Membership


class ListMembers:
    """List a clinic's members, by user id.

    - Staff of the clinic (admin, doctor, receptionist) and super admins may list them; a refusal
      is audited (DENIED).
    """

    def __init__(self, memberships: MembershipRepository, denied: DeniedAttempts) -> None:
        self._memberships = memberships
        self._denied = denied

    async def __call__(self, clinic_id: UUID, page: PageRequest, actor: Actor) -> Page[Membership]:
        return await self._denied.guard(lambda: self._list(clinic_id, page, actor))

    async def _list(self, clinic_id: UUID, page: PageRequest, actor: Actor) -> Page[Membership]:
        require(actor, Action.VIEW_MEMBERS, clinic_id)
        rows = await self._memberships.list(clinic_id, after=page.after, limit=page.limit + 1)
        return page_of(rows, page, lambda membership: membership.user_id)

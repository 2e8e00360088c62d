"""Read one user."""

from __future__ import annotations

from uuid import UUID

from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries, denial
from application.ports.audit import PhiReadAudit
from application.ports.repositories import MembershipRepository, UserRepository
from domain.access import Action, Actor, Decision, decide
from domain.errors import UserNotFound
from domain.identity import User

VIEW_USER = "VIEW_USER"


class GetUser:
    """Read one user.

    - Super admins see every user; anyone sees themselves.
    - Others see a user only when that user is a member of a clinic where the caller may view
      members. Everyone else gets USER_NOT_FOUND, so ids reveal nothing.
    - The answer carries contact details (PHI): every read is audited (VIEW_USER, on the platform
      chain), and so is every refusal of a user who exists (DENIED).
    """

    def __init__(
        self,
        users: UserRepository,
        memberships: MembershipRepository,
        audit: AuditEntries,
        phi_reads: PhiReadAudit,
        denied: DeniedAttempts,
    ) -> None:
        self._users = users
        self._memberships = memberships
        self._audit = audit
        self._phi_reads = phi_reads
        self._denied = denied

    async def __call__(self, user_id: UUID, actor: Actor) -> User:
        return await self._denied.guard(lambda: self._read(user_id, actor))

    async def _read(self, user_id: UUID, actor: Actor) -> User:
        user = await self._users.get(user_id)
        if user is None:
            raise UserNotFound()
        if not await self._may_see(user, actor):
            raise UserNotFound(denial=denial(actor, VIEW_USER, None, resource=("user", user.id)))
        await self._phi_reads.record(self._audit.entry(actor, VIEW_USER, "user", user.id, clinic_id=None))
        return user

    async def _may_see(self, user: User, actor: Actor) -> bool:
        if actor.is_super_admin or user.id == actor.user_id:
            return True
        return any(
            decide(actor, Action.VIEW_MEMBERS, membership.clinic_id) is Decision.ALLOWED
            for membership in await self._memberships.of_user(user.id)
        )

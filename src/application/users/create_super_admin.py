"""Create a platform super admin (operators only, from the CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from application.auditing import AuditEntries
from application.ports.clock import Clock, IdGenerator
from application.ports.repositories import UserRepository
from application.ports.uow import UnitOfWork
from domain.contact import Email
from domain.identity import User


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSuperAdminCommand:
    email: str
    name: str


class CreateSuperAdmin:
    """Create a super admin.

    - Reached only from the operator CLI, which runs with the operator's own access to the
      server; there is no HTTP route for it.
    - The email must be free (EMAIL_ALREADY_EXISTS otherwise).
    - Audited as a system action.
    """

    def __init__(
        self, users: UserRepository, uow: UnitOfWork, clock: Clock, ids: IdGenerator, audit: AuditEntries
    ) -> None:
        self._users = users
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: CreateSuperAdminCommand) -> User:
        return await self._uow.run(lambda: self._execute(cmd))

    async def _execute(self, cmd: CreateSuperAdminCommand) -> User:
        user = User(
            id=self._ids.new_id(),
            email=Email(cmd.email),
            phone=None,
            name=cmd.name,
            is_super_admin=True,
            created_at=self._clock.now(),
        )
        await self._users.add(user)
        self._uow.record(self._audit.entry(None, "CREATE_SUPER_ADMIN", "user", user.id, clinic_id=None))
        await self._uow.commit()
        return user

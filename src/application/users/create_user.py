"""Create a user (a person who can sign in)."""

from __future__ import annotations

from dataclasses import dataclass

from application.access import require
from application.auditing import AuditEntries
from application.ports.clock import Clock, IdGenerator
from application.ports.repositories import UserRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.contact import Email, PhoneNumber
from domain.identity import User


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateUserCommand:
    name: str
    email: str | None = None
    phone: str | None = None


class CreateUser:
    """Create a user.

    - Super admins and clinic admins may create users (then add them to their clinic).
    - An email or a phone is required; both are validated (INVALID_EMAIL, INVALID_PHONE).
    - An email or phone another user holds is EMAIL_ALREADY_EXISTS / PHONE_ALREADY_EXISTS.
    - The new user holds no role until added to a clinic; super admins are made by the CLI only.
    """

    def __init__(
        self, users: UserRepository, uow: UnitOfWork, clock: Clock, ids: IdGenerator, audit: AuditEntries
    ) -> None:
        self._users = users
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: CreateUserCommand, actor: Actor) -> User:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: CreateUserCommand, actor: Actor) -> User:
        require(actor, Action.CREATE_USER)
        user = User(
            id=self._ids.new_id(),
            email=Email(cmd.email) if cmd.email else None,
            phone=PhoneNumber(cmd.phone) if cmd.phone else None,
            name=cmd.name,
            created_at=self._clock.now(),
            created_by=actor.user_id,
        )
        await self._users.add(user)
        self._uow.record(self._audit.entry(actor, "CREATE_USER", "user", user.id, clinic_id=None))
        await self._uow.commit()
        return user

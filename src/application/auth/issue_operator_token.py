"""Issue an access token for an existing user (operators and scripted tests, from the CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from application.auditing import AuditEntries
from application.ports.repositories import UserRepository
from application.ports.security import AccessTokens, IssuedToken
from application.ports.uow import UnitOfWork
from domain.contact import Email
from domain.errors import UserNotFound, ValidationFailed


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueOperatorTokenCommand:
    email: str
    ttl_minutes: int | None = None


class IssueOperatorToken:
    """Issue an access token for a user, by email.

    - CLI only: whoever runs it already controls the server and its secrets.
    - The user must exist and be active (USER_NOT_FOUND otherwise).
    - ``ttl_minutes`` from 1 to 1440; the configured lifetime when not given.
    - Audited as a system action, so every token minted outside sign-in leaves a trace.
    """

    def __init__(
        self, users: UserRepository, tokens: AccessTokens, uow: UnitOfWork, audit: AuditEntries
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._uow = uow
        self._audit = audit

    async def __call__(self, cmd: IssueOperatorTokenCommand) -> IssuedToken:
        return await self._uow.run(lambda: self._execute(cmd))

    async def _execute(self, cmd: IssueOperatorTokenCommand) -> IssuedToken:
        if cmd.ttl_minutes is not None and not 1 <= cmd.ttl_minutes <= 1440:
            raise ValidationFailed(details={"ttl": "expected minutes from 1 to 1440"})
        user = await self._users.get_by_email(Email(cmd.email))
        if user is None or not user.active:
            raise UserNotFound()
        issued = self._tokens.issue(user.id, ttl_minutes=cmd.ttl_minutes)
        self._uow.record(self._audit.entry(None, "ISSUE_OPERATOR_TOKEN", "user", user.id, clinic_id=None))
        await self._uow.commit()
        return issued

"""End the caller's session."""

from __future__ import annotations

from application.auditing import AuditEntries
from application.ports.clock import Clock
from application.ports.sessions import SessionRepository
from application.ports.uow import UnitOfWork
from domain.access import Actor
from domain.errors import InvalidCredentials
from domain.sessions import SessionEnd


class LogOut:
    """Log out.

    - Revokes the caller's session: its refresh tokens stop working, and so does the access token
      from the next request on (the LOGOUT entry drops the session that Authenticate keeps in
      each process, after the commit: see Authenticate for the bounds).
    - A token without a session (an operator token from the CLI) cannot log out: it just expires.
    - Audited.
    """

    def __init__(
        self, sessions: SessionRepository, uow: UnitOfWork, clock: Clock, audit: AuditEntries
    ) -> None:
        self._sessions = sessions
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, actor: Actor) -> None:
        await self._uow.run(lambda: self._execute(actor))

    async def _execute(self, actor: Actor) -> None:
        if actor.session_id is None:
            raise InvalidCredentials("This token has no session to end; it expires by itself.")
        await self._sessions.revoke(actor.session_id, self._clock.now(), SessionEnd.LOGOUT)
        self._uow.record(self._audit.entry(actor, "LOGOUT", "session", actor.session_id, clinic_id=None))
        await self._uow.commit()

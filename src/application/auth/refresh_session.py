"""Exchange a refresh token for a new token pair."""

from __future__ import annotations

from application.auditing import AuditEntries
from application.auth.session_tokens import SessionTokens, TokenPair
from application.ports.clock import Clock
from application.ports.sessions import RefreshTokenRepository, SessionRepository
from application.ports.uow import UnitOfWork
from domain.errors import InvalidCredentials
from domain.sessions import SessionEnd


class RefreshSession:
    """Refresh a session.

    - The token must be one we issued, of a live session (not revoked, not past its lifetime,
      refreshed within the idle timeout): INVALID_CREDENTIALS otherwise.
    - Each refresh token works once and is replaced by the one returned (rotation).
    - A used token presented again within the grace window is refused, nothing more (two tabs
      racing); after it, the whole session is revoked (every token of it) and audited: someone
      else holds a copy.
    """

    def __init__(
        self,
        sessions: SessionRepository,
        refresh_tokens: RefreshTokenRepository,
        tokens: SessionTokens,
        uow: UnitOfWork,
        clock: Clock,
        audit: AuditEntries,
    ) -> None:
        self._sessions = sessions
        self._refresh_tokens = refresh_tokens
        self._tokens = tokens
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, refresh_token: str, *, request_id: str | None = None) -> TokenPair:
        return await self._uow.run(lambda: self._execute(refresh_token, request_id))

    async def _execute(self, refresh_token: str, request_id: str | None) -> TokenPair:
        now = self._clock.now()
        record = await self._refresh_tokens.get(self._tokens.refresh_hash(refresh_token))
        session = await self._sessions.get(record.session_id) if record else None
        if record is None or session is None or not session.is_live(now, idle=self._tokens.policy.idle):
            raise InvalidCredentials()
        if record.used_at is not None or not await self._refresh_tokens.use(record.token_hash, now):
            used_at = record.used_at or now
            if now - used_at > self._tokens.policy.reuse_grace:
                await self._sessions.revoke(session.id, now, SessionEnd.REFRESH_REPLAYED)
                self._uow.record(
                    self._audit.entry(
                        None,
                        "REFRESH_TOKEN_REPLAYED",
                        "session",
                        session.id,
                        clinic_id=None,
                        request_id=request_id,
                    )
                )
                await self._uow.commit()
            raise InvalidCredentials()
        await self._sessions.refreshed(session.id, now)
        pair = await self._tokens.pair(session.user_id, session.id, now)
        await self._uow.commit()
        return pair

"""Opening sessions and minting their token pairs, shared by the sign-in and refresh use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.ports.clock import IdGenerator
from application.ports.security import AccessTokens, SecretHasher
from application.ports.sessions import RefreshTokenRepository, SessionRepository
from domain.sessions import AuthSession, RefreshTokenRecord

REFRESH_PURPOSE = "refresh-token"


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPolicy:
    """``idle``: how long a session lives without a refresh; ``lifetime``: how long it lives at
    most; ``reuse_grace``: how long a just-used refresh token is answered with a plain refusal
    (two tabs refreshing at once) before a replay counts as theft."""

    idle: timedelta = timedelta(hours=12)
    lifetime: timedelta = timedelta(days=30)
    reuse_grace: timedelta = timedelta(seconds=10)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: UUID
    token_type: str = "Bearer"  # noqa: S105 (the OAuth token type, not a secret)


class SessionTokens:
    """Makes sessions and token pairs; the caller's unit of work stores them."""

    def __init__(
        self,
        sessions: SessionRepository,
        refresh_tokens: RefreshTokenRepository,
        access_tokens: AccessTokens,
        hasher: SecretHasher,
        ids: IdGenerator,
        policy: SessionPolicy,
    ) -> None:
        self._sessions = sessions
        self._refresh_tokens = refresh_tokens
        self._access_tokens = access_tokens
        self._hasher = hasher
        self._ids = ids
        self.policy = policy

    async def open(self, user_id: UUID, now: datetime) -> TokenPair:
        session = AuthSession(
            id=self._ids.new_id(),
            user_id=user_id,
            created_at=now,
            last_refreshed_at=now,
            expires_at=now + self.policy.lifetime,
        )
        await self._sessions.add(session)
        return await self.pair(user_id, session.id, now)

    async def pair(self, user_id: UUID, session_id: UUID, now: datetime) -> TokenPair:
        refresh = self._hasher.new_token()
        await self._refresh_tokens.add(
            RefreshTokenRecord(
                token_hash=self._hasher.digest(refresh, purpose=REFRESH_PURPOSE),
                session_id=session_id,
                issued_at=now,
            )
        )
        access = self._access_tokens.issue(user_id, session_id=session_id)
        return TokenPair(
            access_token=access.token,
            refresh_token=refresh,
            expires_in=access.expires_in,
            session_id=session_id,
        )

    def refresh_hash(self, refresh_token: str) -> str:
        return self._hasher.digest(refresh_token, purpose=REFRESH_PURPOSE)

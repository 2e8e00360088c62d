"""Sign-in sessions and their rotating refresh tokens.

Rules:
- A session ends at ``expires_at`` (absolute lifetime), after ``idle`` without a refresh, or when
  revoked (logout, or a replayed refresh token). An ended session never comes back.
- Each refresh token is used once; using it gives its successor. Presenting a used one again
  after the grace window means it was stolen or leaked: the whole session is revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID


class SessionEnd(StrEnum):
    LOGOUT = "logout"
    REFRESH_REPLAYED = "refresh_replayed"


@dataclass(slots=True, kw_only=True)
class AuthSession:
    id: UUID
    user_id: UUID
    created_at: datetime
    last_refreshed_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: SessionEnd | None = None

    def is_live(self, now: datetime, *, idle: timedelta | None = None) -> bool:
        """Not revoked, not past its absolute lifetime and, when ``idle`` is given, refreshed
        within it (access tokens are short; idleness is judged when refreshing)."""
        if self.revoked_at is not None or now >= self.expires_at:
            return False
        return idle is None or now < self.last_refreshed_at + idle


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshTokenRecord:
    """A refresh token as stored: only its hash. ``used_at`` is set when it was exchanged."""

    token_hash: str
    session_id: UUID
    issued_at: datetime
    used_at: datetime | None = None

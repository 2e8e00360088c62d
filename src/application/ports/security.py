"""Access tokens: issuing and verifying the bearer tokens that identify a caller."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedToken:
    token: str
    expires_at: datetime
    expires_in: int  # seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenClaims:
    user_id: UUID
    session_id: UUID | None  # None: an operator token from the CLI, bound to no session
    token_id: str
    expires_at: datetime


class AccessTokens(Protocol):
    @abstractmethod
    def issue(
        self, user_id: UUID, *, session_id: UUID | None = None, ttl_minutes: int | None = None
    ) -> IssuedToken:
        """A signed access token for ``user_id`` in ``session_id``; ``ttl_minutes=None`` takes the
        configured lifetime."""
        ...

    @abstractmethod
    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token. Raises TokenExpired for an expired one and
        InvalidCredentials for anything else that is not a valid token of ours."""
        ...


class SecretHasher(Protocol):
    """Keyed one-way digests of short-lived secrets (refresh tokens, OTP codes) for storage."""

    @abstractmethod
    def digest(self, secret: str, *, purpose: str) -> str: ...

    @abstractmethod
    def matches(self, secret: str, digest: str, *, purpose: str) -> bool:
        """Constant-time comparison of ``secret``'s digest with ``digest``."""
        ...

    @abstractmethod
    def new_token(self) -> str:
        """A fresh, unguessable, URL-safe token (256 bits from a CSPRNG)."""
        ...

"""Sessions and refresh tokens (stored hashed)."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.sessions import AuthSession, RefreshTokenRecord, SessionEnd


class SessionRepository(Protocol):
    @abstractmethod
    async def add(self, session: AuthSession) -> None: ...

    @abstractmethod
    async def get(self, session_id: UUID) -> AuthSession | None: ...

    @abstractmethod
    async def refreshed(self, session_id: UUID, at: datetime) -> None:
        """Record a refresh (the idle timer restarts)."""
        ...

    @abstractmethod
    async def revoke(self, session_id: UUID, at: datetime, reason: SessionEnd) -> bool:
        """End the session; False when it had ended already (nothing changes then)."""
        ...


class RefreshTokenRepository(Protocol):
    @abstractmethod
    async def add(self, record: RefreshTokenRecord) -> None: ...

    @abstractmethod
    async def get(self, token_hash: str) -> RefreshTokenRecord | None: ...

    @abstractmethod
    async def use(self, token_hash: str, at: datetime) -> bool:
        """Mark the token used, atomically: True for exactly one caller, however many race."""
        ...

"""Session and refresh-token repositories over the in-memory store."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from uuid import UUID

from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.sessions import RefreshTokenRepository, SessionRepository
from domain.errors import InvalidCredentials
from domain.sessions import AuthSession, RefreshTokenRecord, SessionEnd


class InMemorySessionRepository(SessionRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, session: AuthSession) -> None:
        self._uow.stage("sessions", session.id, session)

    async def get(self, session_id: UUID) -> AuthSession | None:
        session: AuthSession | None = self._uow.read("sessions", session_id)
        return session

    async def refreshed(self, session_id: UUID, at: datetime) -> None:
        session = await self.get(session_id)
        if session is not None:
            session.last_refreshed_at = at
            self._uow.stage("sessions", session_id, session)

    async def revoke(self, session_id: UUID, at: datetime, reason: SessionEnd) -> bool:
        session = await self.get(session_id)
        if session is None or session.revoked_at is not None:
            return False
        session.revoked_at, session.revoked_reason = at, reason
        self._uow.stage("sessions", session_id, session)
        return True


class InMemoryRefreshTokenRepository(RefreshTokenRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, record: RefreshTokenRecord) -> None:
        self._uow.stage("refresh_tokens", record.token_hash, record)

    async def get(self, token_hash: str) -> RefreshTokenRecord | None:
        record: RefreshTokenRecord | None = self._uow.read("refresh_tokens", token_hash)
        return record

    async def use(self, token_hash: str, at: datetime) -> bool:
        record = await self.get(token_hash)
        if record is None or record.used_at is not None:
            return False

        def still_unused(store: InMemoryStore) -> None:
            stored = store.table("refresh_tokens").get(token_hash)
            if stored is None or stored.used_at is not None:
                raise InvalidCredentials()  # another unit used it first

        self._uow.stage(
            "refresh_tokens", token_hash, dataclasses.replace(record, used_at=at), check=still_unused
        )
        return True

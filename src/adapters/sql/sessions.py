"""Session and refresh-token repositories over SQLAlchemy."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from uuid import UUID

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.errors import translated
from adapters.sql.session_records import RefreshTokenRow, SessionRecord
from adapters.sql.values import as_uuid
from application.ports.sessions import RefreshTokenRepository, SessionRepository
from domain.sessions import AuthSession, RefreshTokenRecord, SessionEnd


class SqlSessionRepository(SessionRepository):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, session: AuthSession) -> None:
        row = {
            "id": session.id,
            "user_id": session.user_id,
            "created_at": session.created_at,
            "last_refreshed_at": session.last_refreshed_at,
            "expires_at": session.expires_at,
            "revoked_at": session.revoked_at,
            "revoked_reason": session.revoked_reason.value if session.revoked_reason else None,
        }
        async with translated(self._session):
            await self._session.execute(insert(SessionRecord).values(**row))

    async def get(self, session_id: UUID) -> AuthSession | None:
        async with translated(self._session):
            record = (
                await self._session.execute(
                    select(SessionRecord.__table__).where(SessionRecord.id == session_id)
                )
            ).one_or_none()
        if record is None:
            return None
        return AuthSession(
            id=as_uuid(record.id),
            user_id=as_uuid(record.user_id),
            created_at=record.created_at,
            last_refreshed_at=record.last_refreshed_at,
            expires_at=record.expires_at,
            revoked_at=record.revoked_at,
            revoked_reason=SessionEnd(record.revoked_reason) if record.revoked_reason else None,
        )

    async def refreshed(self, session_id: UUID, at: datetime) -> None:
        async with translated(self._session):
            await self._session.execute(
                update(SessionRecord).where(SessionRecord.id == session_id).values(last_refreshed_at=at)
            )

    async def revoke(self, session_id: UUID, at: datetime, reason: SessionEnd) -> bool:
        async with translated(self._session):
            result = await self._session.execute(
                update(SessionRecord)
                .where(SessionRecord.id == session_id, SessionRecord.revoked_at.is_(None))
                .values(revoked_at=at, revoked_reason=reason.value)
            )
        return cast(CursorResult[object], result).rowcount == 1


class SqlRefreshTokenRepository(RefreshTokenRepository):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, record: RefreshTokenRecord) -> None:
        async with translated(self._session):
            await self._session.execute(
                insert(RefreshTokenRow).values(
                    token_hash=record.token_hash,
                    session_id=record.session_id,
                    issued_at=record.issued_at,
                    used_at=record.used_at,
                )
            )

    async def get(self, token_hash: str) -> RefreshTokenRecord | None:
        async with translated(self._session):
            row = (
                await self._session.execute(
                    select(RefreshTokenRow.__table__).where(RefreshTokenRow.token_hash == token_hash)
                )
            ).one_or_none()
        if row is None:
            return None
        return RefreshTokenRecord(
            token_hash=row.token_hash,
            session_id=as_uuid(row.session_id),
            issued_at=row.issued_at,
            used_at=row.used_at,
        )

    async def use(self, token_hash: str, at: datetime) -> bool:
        # The conditional UPDATE is the lock: of racing refreshes, exactly one sees a row change.
        async with translated(self._session):
            result = await self._session.execute(
                update(RefreshTokenRow)
                .where(RefreshTokenRow.token_hash == token_hash, RefreshTokenRow.used_at.is_(None))
                .values(used_at=at)
            )
        return cast(CursorResult[object], result).rowcount == 1

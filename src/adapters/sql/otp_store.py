"""OtpStore over SQL (embedded profile). Each operation is its own short transaction, apart from
the request's unit of work: a counted guess must stay counted when the request then fails."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.errors import translated
from adapters.sql.otp_records import OtpChallengeRecord, OtpLockRecord
from adapters.sql.values import as_uuid
from application.ports.otp import Guess, OtpStore
from domain.otp import MAX_GUESSES, OtpChallenge


class SqlOtpStore(OtpStore):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def put(self, challenge: OtpChallenge) -> None:
        table = OtpChallengeRecord
        async with self._sessions() as session, translated(session):
            await session.execute(delete(table).where(table.identity_hash == challenge.identity_hash))
            await session.execute(
                insert(table).values(
                    identity_hash=challenge.identity_hash,
                    id=challenge.id,
                    code_hash=challenge.code_hash,
                    expires_at=challenge.expires_at,
                    attempts=challenge.attempts,
                    used_at=None,
                )
            )
            await session.commit()

    async def guess(self, identity_hash: str, now: datetime) -> Guess | None:
        table = OtpChallengeRecord
        # The conditional UPDATE counts the guess and checks liveness in one statement: under
        # concurrency no more than MAX_GUESSES ever pass it.
        statement = (
            update(table)
            .where(
                table.identity_hash == identity_hash,
                table.used_at.is_(None),
                table.attempts < MAX_GUESSES,
                table.expires_at > now,
            )
            .values(attempts=table.attempts + 1)
            .returning(table.id, table.code_hash, table.attempts)
        )
        async with self._sessions() as session, translated(session):
            row = (await session.execute(statement)).one_or_none()
            await session.commit()
        return None if row is None else Guess(as_uuid(row.id), row.code_hash, int(row.attempts))

    async def consume(self, identity_hash: str, challenge_id: UUID) -> bool:
        table = OtpChallengeRecord
        statement = (
            update(table)
            .where(table.identity_hash == identity_hash, table.id == challenge_id, table.used_at.is_(None))
            .values(used_at=table.expires_at)  # any non-null time marks it used
        )
        async with self._sessions() as session, translated(session):
            result = await session.execute(statement)
            await session.commit()
        return cast(CursorResult[Any], result).rowcount == 1

    async def lock(self, identity_hash: str, now: datetime, until: datetime) -> bool:
        async with self._sessions() as session, translated(session):
            dialect = session.bind.dialect.name
            insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
            statement = (
                insert_(OtpLockRecord)
                .values(identity_hash=identity_hash, locked_until=until)
                .on_conflict_do_update(
                    index_elements=[OtpLockRecord.identity_hash],
                    set_={"locked_until": until},
                    where=OtpLockRecord.locked_until <= now,
                )
                .returning(OtpLockRecord.identity_hash)
            )
            locked = (await session.execute(statement)).one_or_none() is not None
            await session.commit()
        return locked

    async def locked_until(self, identity_hash: str, now: datetime) -> datetime | None:
        async with self._sessions() as session, translated(session):
            until = await session.scalar(
                select(OtpLockRecord.locked_until).where(OtpLockRecord.identity_hash == identity_hash)
            )
        return until if until is not None and until > now else None

"""Re-encrypting sealed fields under the active key, in resumable batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.errors import translated
from adapters.sql.records import UserRecord
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.user_codec import UserCodec


@dataclass(frozen=True, slots=True)
class RotationProgress:
    examined: int
    rewritten: int
    total: int


async def rotate_user_keys(
    sessions: async_sessionmaker[AsyncSession],
    codec: UserCodec,
    *,
    batch_size: int = 500,
    progress: Callable[[RotationProgress], None] = lambda _: None,
) -> RotationProgress:
    """Re-seal every user row that has a field under a retired key.

    Each batch (by id order) is its own transaction, so an interruption loses at most one batch
    of work and a second run skips rows already under the active key: it is resumable by
    construction, with no bookkeeping table. Rows are locked with FOR UPDATE (PostgreSQL) while
    re-sealed, so a concurrent edit is not overwritten with its older value.
    """
    async with sessions() as session:
        session.info[SCOPE_KEY] = ("*", "")
        total = int(await session.scalar(select(func.count()).select_from(UserRecord)) or 0)
    examined = rewritten = 0
    after: UUID | None = None
    while True:
        async with sessions() as session:
            session.info[SCOPE_KEY] = ("*", "")
            async with translated(session):
                stmt = select(UserRecord).order_by(UserRecord.id).limit(batch_size).with_for_update()
                if after is not None:
                    stmt = stmt.where(UserRecord.id > after)
                records = (await session.scalars(stmt)).all()
                if not records:
                    break
                for record in records:
                    row = codec.resealed(record)
                    if row is not None:
                        await session.execute(
                            update(UserRecord).where(UserRecord.id == record.id).values(**row)
                        )
                        rewritten += 1
                await session.commit()
        examined += len(records)
        after = records[-1].id
        progress(RotationProgress(examined, rewritten, total))
    return RotationProgress(examined, rewritten, total)

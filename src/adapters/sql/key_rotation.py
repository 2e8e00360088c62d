"""Re-encrypting every sealed column (adapters.sql.sealed_columns) under the active key, in
resumable batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import Table, and_, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.errors import translated
from adapters.sql.schema import metadata
from adapters.sql.sealed_columns import SEALED_COLUMNS, SealedColumn
from adapters.sql.tenancy import SCOPE_KEY
from application.ports.crypto import FieldCipher


@dataclass(frozen=True, slots=True)
class RotationProgress:
    table: str
    examined: int
    rewritten: int
    total: int


async def rotate_sealed_columns(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    *,
    batch_size: int = 500,
    progress: Callable[[RotationProgress], None] = lambda _: None,
) -> list[RotationProgress]:
    """Re-seal every value under a retired key, table by table; one RotationProgress per table.

    Each batch (in primary-key order) is its own transaction, so an interruption loses at most one
    batch of work and a second run skips values already under the active key: resumable by
    construction, with no bookkeeping table. Rows are locked with FOR UPDATE (PostgreSQL) while
    re-sealed, so a concurrent edit is not overwritten with its older value.
    """
    done = []
    for name, group in groupby(SEALED_COLUMNS, key=lambda c: c.table):
        done.append(
            await _rotate_table(sessions, cipher, metadata.tables[name], list(group), batch_size, progress)
        )
    return done


async def _rotate_table(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    table: Table,
    columns: Sequence[SealedColumn],
    batch_size: int,
    progress: Callable[[RotationProgress], None],
) -> RotationProgress:
    key = list(table.primary_key.columns)
    async with sessions() as session:
        session.info[SCOPE_KEY] = ("*", "")
        total = int(await session.scalar(select(func.count()).select_from(table)) or 0)
    examined = rewritten = 0
    after: tuple[Any, ...] | None = None
    while True:
        async with sessions() as session:
            session.info[SCOPE_KEY] = ("*", "")
            async with translated(session):
                statement = select(table).order_by(*key).limit(batch_size).with_for_update()
                if after is not None:
                    statement = statement.where(tuple_(*key) > tuple_(*after))
                rows = (await session.execute(statement)).all()
                if not rows:
                    break
                for row in rows:
                    values = _resealed(cipher, row, columns)
                    if values:
                        match = and_(*(c == getattr(row, c.name) for c in key))
                        await session.execute(update(table).where(match).values(**values))
                        rewritten += 1
                await session.commit()
        examined += len(rows)
        after = tuple(getattr(rows[-1], c.name) for c in key)
        progress(RotationProgress(table.name, examined, rewritten, total))
    return RotationProgress(table.name, examined, rewritten, total)


def _resealed(cipher: FieldCipher, row: Any, columns: Sequence[SealedColumn]) -> dict[str, bytes]:
    values = {}
    for column in columns:
        sealed = getattr(row, column.column)
        if sealed is None or cipher.key_id_of(bytes(sealed)) == cipher.active_key_id:
            continue
        context = column.context(row)
        values[column.column] = cipher.encrypt(
            cipher.decrypt(bytes(sealed), context=context), context=context
        )
    return values

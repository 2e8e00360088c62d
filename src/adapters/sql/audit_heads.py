"""Taking a chain's head for sealing, on PostgreSQL and SQLite (see adapters.sql.audit_chain).

PostgreSQL fast path: the head each chain had when this process last appended to it is kept per
engine. A unit seals after that remembered head and sends one statement that moves the head from
exactly that (sequence, hash) to the new end and inserts the entries, or does neither: a
conditional UPDATE locks the head row only if it still matches, and the INSERT takes its rows
only if the UPDATE did. When another process or connection has appended since (or a unit that
remembered a head rolled back), nothing is written and the unit takes the slow path: lock the
head with SELECT ... FOR UPDATE and seal after what it reads. Either way the head is locked until
COMMIT and the entries follow it exactly; the memory only saves the round trips.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

from sqlalchemy import Insert, bindparam, cast, exists, insert, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.audit_records import AuditChainHeadRecord, AuditEntryRecord
from domain.audit_chain import GENESIS_HASH, ChainHead

_HEADS = AuditChainHeadRecord.__table__
_ENTRIES = AuditEntryRecord.__table__
_REMEMBERED_PER_ENGINE = 50_000
_remembered: weakref.WeakKeyDictionary[Engine, dict[str, ChainHead]] = weakref.WeakKeyDictionary()


def _memory(session: AsyncSession) -> dict[str, ChainHead]:
    return _remembered.setdefault(session.bind.sync_engine, {})


def remembered(session: AsyncSession, chain: str) -> ChainHead | None:
    """The head this process last left ``chain`` at, if any (PostgreSQL only)."""
    if session.bind.dialect.name != "postgresql":
        return None
    return _memory(session).get(chain)


def remember(session: AsyncSession, head: ChainHead) -> None:
    if session.bind.dialect.name != "postgresql":
        return
    memory = _memory(session)
    if len(memory) >= _REMEMBERED_PER_ENGINE:
        memory.clear()  # a cold start costs one slow path per chain, nothing more
    memory[head.chain] = head


async def append_if_head_is(
    session: AsyncSession, expected: ChainHead, new: ChainHead, rows: list[dict[str, Any]]
) -> bool:
    """Move ``expected`` to ``new`` and insert ``rows``, in one statement, if the head is still
    ``expected``; True if it was (and the head is now locked by this transaction)."""
    parameters = {
        "old_chain": expected.chain,
        "old_sequence": expected.sequence,
        "old_hash": expected.hash,
        "new_sequence": new.sequence,
        "new_hash": new.hash,
    }
    for number, row in enumerate(rows):
        parameters.update({f"r{number}_{name}": value for name, value in row.items()})
    connection = await session.connection()  # Core, past the ORM layer: this is the hot path
    result = await connection.execute(_append_statement(len(rows)), parameters)
    return bool(result.rowcount)  # type: ignore[attr-defined]


@functools.cache
def _append_statement(count: int) -> Insert:
    """One statement per batch size, so that it is compiled and prepared once, then reused."""
    heads = _HEADS.c
    moved = (
        update(_HEADS)
        .where(
            heads.chain == bindparam("old_chain"),
            heads.sequence == bindparam("old_sequence"),
            heads.hash == bindparam("old_hash"),
        )
        .values(sequence=bindparam("new_sequence"), hash=bindparam("new_hash"))
        .returning(heads.chain)
        .cte("moved")
    )
    columns = list(_ENTRIES.c)
    # Typed casts: PostgreSQL must know a NULL-only value's type (no actor, say).
    rows = [
        select(*(cast(bindparam(f"r{n}_{c.name}", type_=c.type), c.type) for c in columns)).where(
            exists(select(moved.c.chain))
        )
        for n in range(count)
    ]
    source = rows[0] if count == 1 else union_all(*rows)
    return insert(_ENTRIES).from_select([c.name for c in columns], source).add_cte(moved)


async def lock_head(session: AsyncSession, chain: str) -> ChainHead:
    """The chain's head, locked until COMMIT (created at genesis on first use)."""
    if session.bind.dialect.name == "sqlite":
        return await _upsert_head(session, chain)
    locked = select(_HEADS.c.sequence, _HEADS.c.hash).where(_HEADS.c.chain == chain).with_for_update()
    row = (await session.execute(locked)).first()
    if row is None:
        await session.execute(postgres_insert(_HEADS).values(**_new_head(chain)).on_conflict_do_nothing())
        row = (await session.execute(locked)).one()
    return ChainHead(chain, row.sequence, row.hash)


async def _upsert_head(session: AsyncSession, chain: str) -> ChainHead:
    # A write first: the transaction holds SQLite's write lock before it reads the head.
    statement = sqlite_insert(_HEADS).values(**_new_head(chain))
    statement = statement.on_conflict_do_update(
        index_elements=[_HEADS.c.chain], set_={"chain": statement.excluded.chain}
    ).returning(_HEADS.c.sequence, _HEADS.c.hash)
    row = (await session.execute(statement)).one()
    return ChainHead(chain, row.sequence, row.hash)


def _new_head(chain: str) -> dict[str, Any]:
    return {
        "chain": chain,
        "sequence": 0,
        "hash": GENESIS_HASH,
        "pruned_through": 0,
        "pruned_hash": GENESIS_HASH,
    }

"""AuditChainReader and AuditChainKeeper over SQLAlchemy, for the operator's audit commands.

Both see every chain: their sessions must carry the system scope. The keeper commits its own
work. Pruning deletes entries, which the application role may not: its session must connect as
the tables' owner (DATABASE_MIGRATE_URL), and the trigger still refuses any row the chain's new
base checkpoint does not cover.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.audit_chain import ENTRY_COLUMNS, sealed_of
from adapters.sql.audit_records import AuditChainHeadRecord, AuditCheckpointRecord, AuditEntryRecord
from application.ports.audit import AuditChainKeeper, AuditChainReader
from domain.audit_chain import ChainHead, Checkpoint, SealedEntry

_ENTRIES = AuditEntryRecord.__table__
_HEADS = AuditChainHeadRecord.__table__
_CHECKPOINTS = AuditCheckpointRecord.__table__
WALK_BATCH = 5_000


class SqlAuditChainReader(AuditChainReader):
    def __init__(self, session: AsyncSession, *, batch: int = WALK_BATCH) -> None:
        self._session = session
        self._batch = batch

    async def chains(self) -> Sequence[str]:
        every = union(
            select(_HEADS.c.chain), select(_ENTRIES.c.chain).distinct(), select(_CHECKPOINTS.c.chain)
        )
        return sorted((await self._session.execute(every)).scalars().all())

    async def head(self, chain: str) -> ChainHead | None:
        stmt = select(_HEADS.c.sequence, _HEADS.c.hash).where(_HEADS.c.chain == chain)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else ChainHead(chain, row.sequence, row.hash)

    async def base(self, chain: str) -> ChainHead:
        stmt = select(_HEADS.c.pruned_through, _HEADS.c.pruned_hash).where(_HEADS.c.chain == chain)
        row = (await self._session.execute(stmt)).first()
        return ChainHead(chain) if row is None else ChainHead(chain, row.pruned_through, row.pruned_hash)

    async def walk(self, chain: str, *, after: int) -> AsyncIterator[SealedEntry]:
        while True:
            stmt = (
                select(*ENTRY_COLUMNS)
                .where(_ENTRIES.c.chain == chain, _ENTRIES.c.sequence > after)
                .order_by(_ENTRIES.c.sequence)
                .limit(self._batch)
            )
            rows = (await self._session.execute(stmt)).mappings().all()
            for row in rows:
                yield sealed_of(row)
            if len(rows) < self._batch:
                return
            after = rows[-1]["sequence"]

    async def checkpoints(self, chain: str) -> Sequence[Checkpoint]:
        stmt = select(_CHECKPOINTS).where(_CHECKPOINTS.c.chain == chain).order_by(_CHECKPOINTS.c.sequence)
        rows = (await self._session.execute(stmt)).all()
        return [Checkpoint(r.chain, r.sequence, r.hash, r.created_at) for r in rows]


class SqlAuditChainKeeper(AuditChainKeeper):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_checkpoints(self, checkpoints: Sequence[Checkpoint]) -> None:
        for checkpoint in checkpoints:
            key = (_CHECKPOINTS.c.chain == checkpoint.chain) & (
                _CHECKPOINTS.c.sequence == checkpoint.sequence
            )
            if (await self._session.execute(select(_CHECKPOINTS.c.hash).where(key))).first() is None:
                await self._session.execute(
                    insert(_CHECKPOINTS).values(
                        chain=checkpoint.chain,
                        sequence=checkpoint.sequence,
                        hash=checkpoint.hash,
                        created_at=checkpoint.created_at,
                    )
                )
        await self._session.commit()

    async def first_since(self, chain: str, moment: datetime) -> int | None:
        stmt = select(func.min(_ENTRIES.c.sequence)).where(
            _ENTRIES.c.chain == chain, _ENTRIES.c.occurred_at >= moment
        )
        first: int | None = (await self._session.execute(stmt)).scalar()
        return first

    async def prune(self, checkpoint: Checkpoint) -> int:
        chain = checkpoint.chain
        try:
            await self._session.execute(
                update(_HEADS)
                .where(_HEADS.c.chain == chain)
                .values(pruned_through=checkpoint.sequence, pruned_hash=checkpoint.hash)
            )
            result = await self._session.execute(
                delete(_ENTRIES).where(_ENTRIES.c.chain == chain, _ENTRIES.c.sequence <= checkpoint.sequence)
            )
            await self._session.commit()
        except BaseException:
            await self._session.rollback()
            raise
        removed: int = result.rowcount  # type: ignore[attr-defined]
        return removed

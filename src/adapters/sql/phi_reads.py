"""PhiReadAudit over SQLAlchemy: entries of PHI reads buffered in the process, written in batches.

A read must not wait for a transaction of its own, so its entry goes into a buffer; a background
task seals and writes the buffer in one transaction when the flush interval has passed since the
last write, or sooner when ``batch`` entries are waiting. ``close`` (at shutdown) writes what is
left. A crash loses at most the entries of one interval (plus the write in flight); a failed
write keeps its entries for the next attempt, and past ``limit`` waiting entries the oldest are
dropped with an error in the log, so that an outage cannot exhaust memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.audit_chain import append_sealed
from application.ports.audit import PhiReadAudit
from domain.audit import AuditEntry
from domain.audit_chain import ChainSealer

logger = logging.getLogger(__name__)
# A write seals and inserts its whole batch in one go and holds the event loop meanwhile: 500
# entries held it for tens of milliseconds (the p99 of every request served then), 100 for a few.
BATCH = 100


class BufferedSqlPhiReadAudit(PhiReadAudit):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sealer: ChainSealer,
        *,
        interval_seconds: float,
        batch: int = BATCH,
        limit: int = 100_000,
    ) -> None:
        self._sessions = sessions
        self._sealer = sealer
        self._interval = interval_seconds
        self._batch = batch
        self._limit = limit
        self._buffer: list[AuditEntry] = []
        self._full = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def pending(self) -> int:
        return len(self._buffer)

    async def record(self, *entries: AuditEntry) -> None:
        self._buffer.extend(entries)
        if len(self._buffer) > self._limit:
            dropped = len(self._buffer) - self._limit
            del self._buffer[:dropped]
            logger.error("audit buffer of PHI reads is full: %d oldest entries dropped", dropped)
        if len(self._buffer) >= self._batch:
            self._full.set()
        if self._task is None and not self._closed:
            # Started on first use, inside the serving event loop.
            self._task = asyncio.get_running_loop().create_task(self._flush_periodically())

    async def flush(self) -> int:
        """Write what is buffered now, in one transaction; returns how many entries were written
        (0 when the write failed: they stay buffered)."""
        async with self._writing:
            batch, self._buffer = self._buffer, []
            self._full.clear()
            if not batch:
                return 0
            try:
                async with self._sessions() as session:
                    await append_sealed(session, self._sealer, batch)
                    await session.commit()
            except Exception:
                logger.warning(
                    "could not write %d audit entries of PHI reads; will retry", len(batch), exc_info=True
                )
                self._buffer[:0] = batch
                return 0
            return len(batch)

    async def close(self) -> None:
        """Stop the background task and write what is left (at shutdown)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if await self.flush() == 0 and self._buffer:
            logger.error("%d audit entries of PHI reads could not be written at shutdown", len(self._buffer))

    async def _flush_periodically(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), timeout=self._interval)
            await self.flush()

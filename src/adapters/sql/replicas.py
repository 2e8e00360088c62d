"""Read replicas: health-checked round robin, with the primary as the fallback.

Routing happens per statement in ``RoutingSession.get_bind`` (adapters.sql.tenancy):
- a session marked as writing (a unit of work's ``run``, and for the rest of the request after
  it: a request that wrote reads its own writes) and every flush go to the primary;
- other reads go to the next healthy replica, or to the primary when none is healthy.
A background task checks each replica every ``interval_seconds`` with ``SELECT 1`` under a short
timeout; a replica that fails is skipped until it answers again. A read already sent to a replica
that dies fails like any lost connection (503, Retry-After); the next read avoids it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

PRIMARY_KEY = "use_primary"
REPLICAS_KEY = "replicas"


class ReplicaSet:
    def __init__(
        self, replicas: Sequence[AsyncEngine], *, interval_seconds: float = 2.0, timeout_seconds: float = 1.0
    ):
        self._replicas = list(replicas)
        self._healthy = list(replicas)
        self._turn = itertools.count()
        self._interval = interval_seconds
        self._timeout = timeout_seconds
        self._task: asyncio.Task[None] | None = None

    def pick(self) -> Engine | None:
        """The sync engine of the next healthy replica, or None: use the primary."""
        healthy = self._healthy
        if not healthy:
            return None
        return healthy[next(self._turn) % len(healthy)].sync_engine

    @property
    def healthy(self) -> int:
        return len(self._healthy)

    @property
    def size(self) -> int:
        return len(self._replicas)

    async def check_now(self) -> None:
        results = await asyncio.gather(*(self._answers(r) for r in self._replicas))
        healthy = [r for r, ok in zip(self._replicas, results, strict=True) if ok]
        if len(healthy) != len(self._healthy):
            logger.warning("read replicas healthy: %d of %d", len(healthy), len(self._replicas))
        self._healthy = healthy

    def start(self) -> None:
        if self._replicas and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for replica in self._replicas:
            await replica.dispose()

    async def _watch(self) -> None:
        while True:
            await self.check_now()
            await asyncio.sleep(self._interval)

    async def _answers(self, replica: AsyncEngine) -> bool:
        try:
            async with asyncio.timeout(self._timeout), replica.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # refused, timed out, unknown host: all mean "not now"
            return False
        return True

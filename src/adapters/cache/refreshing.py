"""Background refreshes of stale values: one at a time per key, backing off after a failure."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, cast

from adapters.cache.metrics import Counters
from adapters.cache.options import CacheOptions, Handling, family
from adapters.cache.tasks import stop
from application.ports.cache import CachePolicy, Loader
from application.ports.clock import MonotonicClock

logger = logging.getLogger(__name__)
Fill = Callable[..., Awaitable[Any]]
MAX_BACKOFFS = 10_000


class Refresher:
    """``later(key, ...)`` starts a refresh task unless one runs for the key or the key failed
    less than ``refresh_backoff_seconds`` ago (a failing database is not asked again per
    request). A failure is logged and counted, and the stale value keeps being served until its
    ttl (stale-if-error)."""

    def __init__(
        self, fill: Fill, *, monotonic: MonotonicClock, counters: Counters, options: CacheOptions
    ) -> None:
        self._fill = fill
        self._monotonic = monotonic
        self._counters = counters
        self._options = options
        self.running: dict[str, asyncio.Task[None]] = {}
        self._backoff: dict[str, float] = {}

    def later(self, key: str, loader: Loader[Any], policy: CachePolicy, h: Handling) -> None:
        if key in self.running or self._backoff.get(key, -math.inf) > self._monotonic.monotonic():
            return
        task = asyncio.get_running_loop().create_task(self._refresh(key, loader, policy, h))
        self.running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))  # cancelled before it ran

    async def close(self) -> None:
        await stop(list(self.running.values()), grace=0.5)

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        if self.running.get(key) is task:
            del self.running[key]

    async def _refresh(self, key: str, loader: Loader[Any], policy: CachePolicy, h: Handling) -> None:
        try:
            await self._refreshed(key, loader, policy, h)
        finally:
            # Done as the refresh ends, not in a done callback a loop step later: a stale read
            # in between would find the key still refreshing and start no refresh at all.
            self._finished(key, cast("asyncio.Task[None]", asyncio.current_task()))

    async def _refreshed(self, key: str, loader: Loader[Any], policy: CachePolicy, h: Handling) -> None:
        self._counters.refreshes += 1
        try:
            await self._fill(key, loader, loader, policy, h, refreshing=True)
        except Exception as exc:
            self._counters.refresh_failures += 1
            if len(self._backoff) >= MAX_BACKOFFS:
                self._backoff.clear()
            self._backoff[key] = self._monotonic.monotonic() + self._options.refresh_backoff_seconds
            logger.warning(
                "Cache refresh failed (%s): %s; the stale value is served until it expires",
                family(key),
                type(exc).__name__,
            )
        else:
            self._backoff.pop(key, None)

"""A small async pacer: at most ``rate`` acquisitions per second, evenly spaced, per instance."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """Spaces callers ``1 / rate`` seconds apart (``rate`` 0: no pacing). Each caller reserves the
    next free slot before it waits, so concurrent callers queue in order without a lock, and a
    cancelled wait simply leaves its slot unused. ``clock`` and ``sleep`` are injectable so tests
    need not wait."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")

    async def acquire(self) -> None:
        if self._interval == 0.0:
            return
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)

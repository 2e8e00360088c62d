"""Single flight: concurrent calls for one key share one run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class _LeaderGone(Exception):
    """The call running the work was cancelled: its followers try again (one of them leads)."""


class SingleFlight:
    """``run(key, work)`` runs ``work`` unless a run for ``key`` is in progress, then shares its
    outcome. The first caller runs it in its own task (no task is created: a hit through the
    shared layer stays one event-loop step shorter); if that caller is cancelled, the work stops
    with it (so a loader never outlives its request) and the followers start over."""

    def __init__(self) -> None:
        self._runs: dict[str, asyncio.Future[Any]] = {}

    def __len__(self) -> int:
        return len(self._runs)

    async def run(self, key: str, work: Callable[[], Awaitable[Any]]) -> Any:
        while (running := self._runs.get(key)) is not None:
            try:
                return await asyncio.shield(running)  # a follower going away cancels nothing
            except _LeaderGone:
                continue
        outcome = asyncio.get_running_loop().create_future()
        self._runs[key] = outcome
        try:
            result = await work()
        except BaseException as error:
            outcome.set_exception(_LeaderGone() if isinstance(error, asyncio.CancelledError) else error)
            outcome.exception()  # retrieved: no follower may be waiting, nothing to warn about
            raise
        else:
            outcome.set_result(result)
            return result
        finally:
            if self._runs.get(key) is outcome:
                del self._runs[key]

"""Single flight: concurrent calls for one key share one run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class SingleFlight:
    """``run(key, work)`` starts ``work`` unless a run for ``key`` is in progress, and awaits it.
    The run is a task of its own, shielded from its callers: one caller going away (a cancelled
    request) cancels nothing for the others."""

    def __init__(self) -> None:
        self._runs: dict[str, asyncio.Future[Any]] = {}

    def __len__(self) -> int:
        return len(self._runs)

    async def run(self, key: str, work: Callable[[], Awaitable[Any]]) -> Any:
        task = self._runs.get(key)
        if task is None:
            task = asyncio.ensure_future(work())
            self._runs[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: str, done: asyncio.Future[Any]) -> None:
        if self._runs.get(key) is done:
            del self._runs[key]
        if not done.cancelled():
            done.exception()  # retrieved: every caller may have gone; nothing left to warn about

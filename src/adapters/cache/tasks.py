"""Stopping background tasks, whichever event loop runs them."""

from __future__ import annotations

import asyncio
from typing import Any


async def stop(tasks: list[asyncio.Task[Any]], *, grace: float = 0.0) -> None:
    """Let tasks of the running loop finish for up to ``grace`` seconds (a refresh half way
    through writing is better finished than cut), then cancel what is left and wait for it. A
    task of another loop (a test client runs the app in a loop of its own) is cancelled through
    its own loop."""
    running = asyncio.get_running_loop()
    here = [task for task in tasks if task.get_loop() is running]
    if here and grace > 0:
        await asyncio.wait(here, timeout=grace)
    for task in tasks:
        loop = task.get_loop()
        if loop is running:
            task.cancel()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)
    await asyncio.gather(*here, return_exceptions=True)

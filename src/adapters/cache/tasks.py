"""Stopping background tasks, whichever event loop runs them."""

from __future__ import annotations

import asyncio
from typing import Any


async def stop(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel background tasks and wait for those of the running loop; a task of another loop
    (a test client runs the app in a loop of its own) is cancelled through its loop."""
    running = asyncio.get_running_loop()
    here = [task for task in tasks if task.get_loop() is running]
    for task in tasks:
        loop = task.get_loop()
        if loop is running:
            task.cancel()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)
    await asyncio.gather(*here, return_exceptions=True)

"""Running the relay and the notification dispatcher: batch after batch until told to stop, in
``healthcare worker`` or inside the app's process (embedded profile, so that ``make run``
delivers too)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from application.messaging.dispatch_events import DispatchResult
from application.messaging.relay_messages import RelayMessages

logger = logging.getLogger(__name__)

MAX_ERROR_WAIT_SECONDS = 30.0


class RelayLoop:
    """Deliver until ``stop`` is set.

    - A full batch is followed at once by the next (more may be due); otherwise the loop waits
      ``poll_seconds``, or less when ``stop`` is set meanwhile.
    - A batch that fails (the database is down or restarting) never ends the loop: it waits
      longer after each failure in a row, up to 30 s, then tries again; messages held by the
      failed batch come back when their lease ends.
    - Stopping lets sends in flight finish and releases claimed messages not yet started
      (RelayMessages does that when it sees ``stop``).
    - ``heartbeat`` is called once per turn (the worker's liveness file).
    """

    def __init__(
        self,
        relay: RelayMessages,
        *,
        batch_size: int,
        poll_seconds: float,
        heartbeat: Callable[[], None] | None = None,
    ) -> None:
        self._relay = relay
        self._batch_size = batch_size
        self._poll = poll_seconds
        self._heartbeat = heartbeat

    @property
    def owner(self) -> str:
        return self._relay.owner

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            if self._heartbeat is not None:
                self._heartbeat()
            try:
                claimed = await self._relay(stop)
                failures = 0
            except Exception as error:
                failures += 1
                claimed = 0
                logger.warning("relay batch failed (%s), attempt %d in a row", type(error).__name__, failures)
            if claimed >= self._batch_size and failures == 0:
                continue
            wait = self._poll if failures == 0 else min(MAX_ERROR_WAIT_SECONDS, self._poll * 2**failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)


# One turn of the dispatcher: handle up to a batch of domain events (stop early when set).
DispatchTurn = Callable[[asyncio.Event], Awaitable[DispatchResult]]


class DispatchLoop:
    """Turn domain events into messages until ``stop`` is set (DispatchEvents, one request scope
    per turn). A turn that handled a full batch is followed at once by the next; otherwise the
    loop waits ``poll_seconds``. A failing turn (the database is down) never ends the loop: it
    waits longer after each failure in a row, up to 30 s. Patients without a channel are counted
    in ``unreachable`` (and logged by ids only, by the dispatcher)."""

    def __init__(self, turn: DispatchTurn, *, batch_size: int, poll_seconds: float) -> None:
        self._turn = turn
        self._batch_size = batch_size
        self._poll = poll_seconds
        self.unreachable = 0

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                result = await self._turn(stop)
                failures, busy = 0, result.handled + result.failed >= self._batch_size
                self.unreachable += result.unreachable
            except Exception as error:
                failures, busy = failures + 1, False
                logger.warning(
                    "dispatch turn failed (%s), attempt %d in a row", type(error).__name__, failures
                )
            if busy:
                continue
            wait = self._poll if failures == 0 else min(MAX_ERROR_WAIT_SECONDS, self._poll * 2**failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)


class BackgroundRelay:
    """A RelayLoop, and the DispatchLoop when given, as tasks of the running event loop (the
    embedded app), or nothing (``idle``). ``stop`` waits for sends in flight and releases the rest."""

    def __init__(self, loop: RelayLoop | None, dispatcher: DispatchLoop | None = None) -> None:
        self._loop = loop
        self._dispatcher = dispatcher
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._dispatch_task: asyncio.Task[None] | None = None

    @classmethod
    def idle(cls) -> BackgroundRelay:
        return cls(None)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._loop is None or self._task is not None:
            return
        self._stop.clear()
        self._task = asyncio.get_running_loop().create_task(self._loop.run(self._stop))
        if self._dispatcher is not None:
            self._dispatch_task = asyncio.get_running_loop().create_task(self._dispatcher.run(self._stop))
        logger.info("relay started in process (%s)", self._loop.owner)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stop.set()
        for task in (self._dispatch_task, self._task):
            if task is None:
                continue
            try:
                await task
            except Exception:
                logger.exception("the in-process relay ended with an error")
        self._task = self._dispatch_task = None

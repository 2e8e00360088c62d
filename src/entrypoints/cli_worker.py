"""``healthcare worker``: deliver outbox messages until SIGTERM (or SIGINT), and turn domain events
into messages (confirmations, reminders, cancellations, prescription notices) next to the relay.

Graceful: on the signal, sends in flight finish and claimed messages not yet started are released
at once (another worker takes them without waiting for their lease); then exit 0. A worker killed
outright (SIGKILL, a crash, power loss) leaves its claims to come back when their lease ends
(APP_OUTBOX_LEASE_SECONDS): a message whose send had started may then go out twice, the others
once. Run as many workers as you like: they share the work and never hold one message together.

On every turn the worker touches ``$TMPDIR/worker-alive`` (the compose health check) and removes
it on exit. On the embedded profile it migrates the database first, like the server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import tempfile
from pathlib import Path

from entrypoints.config import Settings

COMMAND = "worker"
logger = logging.getLogger(__name__)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser(COMMAND, help="deliver outbox messages and dispatch domain events until SIGTERM")


def liveness_file() -> Path:
    return Path(tempfile.gettempdir()) / "worker-alive"


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from application.messaging.relay_messages import RelayMessages
    from entrypoints.ioc.profiles import PROFILES, build_container
    from entrypoints.worker import DispatchLoop, RelayLoop

    container = build_container(settings)
    alive = liveness_file()
    try:
        if PROFILES[settings.app.profile].migrate_on_start:
            from sqlalchemy.ext.asyncio import AsyncEngine

            from adapters.sql.migrate import migrate

            await migrate(await container.get(AsyncEngine), app_role=settings.database.app_role or None)
        relay = await container.get(RelayMessages)
        loop = RelayLoop(
            relay,
            batch_size=settings.app.outbox_batch_size,
            poll_seconds=settings.app.outbox_poll_seconds,
            heartbeat=alive.touch,
        )
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        dispatcher = await container.get(DispatchLoop)
        logger.info("outbox worker %s started", relay.owner)
        await asyncio.gather(loop.run(stop), dispatcher.run(stop))
        logger.info("outbox worker %s stopped", relay.owner)
        return 0
    finally:
        alive.unlink(missing_ok=True)
        await container.close()

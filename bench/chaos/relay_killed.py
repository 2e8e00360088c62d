"""The relay worker killed (SIGKILL) while it holds messages.

A backlog of WhatsApp reminders is committed to the outbox; ``healthcare worker`` delivers them
to the fake Graph API over real HTTP, which answers each send ``delay`` seconds late (so the
worker always holds some in flight). Once a few sends have started the worker is killed outright;
a second worker is started at once and must wait for the dead one's leases to end.

Passes when: the killed worker held messages (SENDING rows at the kill); every message is
accepted by the fake and SENT; duplicates only for numbers whose send had reached the fake
before the kill, each at most twice. (Figures: how long after the kill the first held message was
sent again, against the lease.)

    python -m bench.chaos.run relay_killed [--quick]
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from time import time as time_now

from bench.chaos.harness import WHATSAPP, Result, stack, until
from bench.chaos.whatsapp_backlog import SwitchableGraphApi, enqueue, outbox_statuses

NAME = "relay_killed"


@dataclass(frozen=True)
class Sizes:
    messages: int
    lease: float
    delay: float
    concurrency: int


FULL = Sizes(messages=300, lease=10, delay=0.3, concurrency=4)
QUICK = Sizes(messages=30, lease=3, delay=0.2, concurrency=2)


async def run(sizes: Sizes = FULL) -> Result:
    result = Result(NAME)
    with SwitchableGraphApi() as graph:
        graph.delay_next(sizes.delay, times=sizes.messages * 3)
        async with stack(
            "relaykill",
            result,
            **WHATSAPP,
            WHATSAPP_API_URL=graph.url,
            WHATSAPP_MESSAGES_PER_SECOND="200",
            APP_OUTBOX_LEASE_SECONDS=str(sizes.lease),
            APP_OUTBOX_BATCH_SIZE="10",
            APP_OUTBOX_CONCURRENCY=str(sizes.concurrency),
            EMAIL_SMTP_PORT="9",
        ) as world:
            wanted = await enqueue(world.db, sizes.messages)
            first = await world.processes.worker("first")

            async def some_started() -> bool:
                world.processes.alive("first")
                return len(graph.received) >= 3

            await until(some_started, 60, "the first worker to start sending")
            first.send_signal(signal.SIGKILL)
            killed_at = time_now()
            await asyncio.to_thread(first.wait, 10)
            started_before_kill = graph.started()
            held = await outbox_statuses(world.db)
            await world.processes.worker("second")

            async def all_sent() -> bool:
                world.processes.alive("second")
                return set(graph.recipients()) >= wanted and (await outbox_statuses(world.db))["SENT"] == len(
                    wanted
                )

            took = await until(all_sent, 120 + sizes.messages * sizes.delay, "every message to be sent")
            final = await outbox_statuses(world.db)
            resent = [
                r.at for r in graph.received if r.at > killed_at and r.json().get("to") in started_before_kill
            ]
            accepted = graph.recipients()

    twice = {to for to, n in accepted.items() if n > 1}
    result.figures.update(
        messages=sizes.messages,
        started_before_kill=len(started_before_kill),
        held_at_kill=dict(held),
        duplicates=len(twice),
        first_resend_after_kill_s=round(min(resent) - killed_at, 1) if resent else None,
        all_sent_after_kill_s=round(took, 1),
        final=dict(final),
    )
    result.check("the killed worker held messages", held["SENDING"] > 0, dict(held))
    result.check("all delivered", set(accepted) >= wanted and final == {"SENT": sizes.messages}, dict(final))
    result.check(
        "duplicates only for started sends (at most twice)",
        twice <= started_before_kill and all(n <= 2 for n in accepted.values()),
        f"{len(twice)} duplicates, {len(twice - started_before_kill)} not started before the kill",
    )
    return result

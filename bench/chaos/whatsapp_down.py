"""The WhatsApp Cloud API answering 503 for ``down`` seconds, then recovering.

A backlog of WhatsApp reminders is committed to the outbox and ``healthcare worker`` starts
sending it to the fake Graph API (real HTTP), which answers every send 503 (Graph error 131016)
until it recovers. The worker's rate is WHATSAPP_MESSAGES_PER_SECOND=``rate``; the fake's own
limit is 1.5x that (it answers 130429 above it). The backoff cap is lowered to ``backoff_cap``
seconds so that the drain starts soon after the recovery (with the default 600 s cap it can
start up to ten minutes later); the attempt budget (12) and the base (2 s) stay the defaults. At
a 60 s cap, 12 attempts outlast an outage of at least 3.5 minutes (the shortest jittered waits);
at the default cap, over an hour.

Passes when: no message is ever FAILED, DEAD or UNCERTAIN (the outbox is read every second);
every message is accepted exactly once and SENT; the backlog drains at the configured rate: no
second-long window holds more than ``rate`` + 1 accepted sends, the fake never had to refuse one
(130429), and the drain ends within backlog / rate + backoff cap + 15 s of the recovery.

    python -m bench.chaos.run whatsapp_down [--quick]
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from time import time as time_now

from bench.chaos.harness import WHATSAPP, Result, stack, until
from bench.chaos.whatsapp_backlog import SwitchableGraphApi, enqueue, outbox_statuses

NAME = "whatsapp_down"
BAD = ("FAILED", "DEAD", "UNCERTAIN")


@dataclass(frozen=True)
class Sizes:
    messages: int
    down: float
    rate: float
    backoff_cap: float


FULL = Sizes(messages=400, down=120, rate=20, backoff_cap=60)
QUICK = Sizes(messages=30, down=3, rate=10, backoff_cap=3)


async def run(sizes: Sizes = FULL) -> Result:
    result = Result(NAME)
    with SwitchableGraphApi(messages_per_second=sizes.rate * 1.5) as graph:
        graph.down = True
        async with stack(
            "wadown",
            result,
            **WHATSAPP,
            WHATSAPP_API_URL=graph.url,
            WHATSAPP_MESSAGES_PER_SECOND=str(sizes.rate),
            APP_OUTBOX_BACKOFF_MAX_SECONDS=str(sizes.backoff_cap),
            EMAIL_SMTP_PORT="9",
        ) as world:
            wanted = await enqueue(world.db, sizes.messages)
            worst: Counter[str] = Counter()
            stop = asyncio.Event()

            async def watch() -> None:
                while not stop.is_set():
                    statuses = await outbox_statuses(world.db)
                    for status in BAD:
                        worst[status] = max(worst[status], statuses[status])
                    await asyncio.sleep(1)

            watcher = asyncio.create_task(watch())
            try:
                await world.processes.worker()
                down_since = time_now()
                await asyncio.sleep(sizes.down)  # the outage lasts its planned duration
                refused_while_down = len(graph.received)
                recovered_at = time_now()
                graph.down = False
                budget = sizes.messages / sizes.rate + sizes.backoff_cap + 15

                async def drained() -> bool:
                    world.processes.alive("worker")
                    return (await outbox_statuses(world.db))["SENT"] == sizes.messages

                took = await until(drained, budget + 60, "the backlog to drain")
            finally:
                stop.set()
                await watcher
            final = await outbox_statuses(world.db)

    accepted = graph.recipients()
    times = sorted(a.at for a in graph.accepted)
    windows = Counter(int(at - recovered_at) for at in times)
    throttled = sum(1 for r in graph.received if r.outcome == "error 130429")
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    result.figures.update(
        messages=sizes.messages,
        down_s=round(recovered_at - down_since, 1),
        sends_refused_while_down=refused_while_down,
        drained_after_recovery_s=round(took, 1),
        drain_rate_per_s=round(len(times) / span, 1) if span else None,
        busiest_second=max(windows.values(), default=0),
        configured_rate=sizes.rate,
        throttled_by_fake=throttled,
        worst=dict(worst),
    )
    result.check("nothing failed or dead-lettered", not +worst, dict(worst))
    result.check(
        "nothing lost, nothing twice",
        set(accepted) == wanted
        and all(n == 1 for n in accepted.values())
        and final == {"SENT": sizes.messages},
        dict(final),
    )
    busiest = max(windows.values(), default=0)
    result.check(
        "drains at the configured rate",
        busiest <= sizes.rate + 1 and throttled == 0 and took <= budget,
        f"busiest second {busiest}, 130429 x{throttled}, {took:.0f}s of {budget:.0f}s",
    )
    return result

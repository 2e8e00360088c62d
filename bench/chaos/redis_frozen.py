"""Redis frozen (SIGSTOP) for ``frozen`` seconds during a read load: connections stay open and
nothing answers, the hardest Redis fault for a client.

Readers fetch clinics and the clinic list as a super admin, a writer adds a clinic every 0.2 s
(readers ask for the newest now and then: an L1 miss), and /metrics is read every 0.1 s (the
breaker's state, the cache counters). Passes when: no request takes longer than the Redis
socket timeout times the Redis round trips a request waits out before it gives up on Redis
(``ROUND_TRIPS``: one, since the rate limiter, the cache and the sign-in code store share the
server's circuit breaker, and the first timeout any of them sees opens it for all) plus
``slack``, and none fails; the breaker opens, half-opens (a probe goes out; seen on /metrics, or
inferred from a second opening) and closes again after the thaw.

    python -m bench.chaos.run redis_frozen [--quick]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
from bench.chaos.harness import (
    Recorder,
    Result,
    breaker_state,
    created,
    drive,
    latency,
    operator_headers,
    scrape,
    stack,
    statuses,
    until,
)

NAME = "redis_frozen"
SOCKET_TIMEOUT = 0.5


@dataclass(frozen=True)
class Sizes:
    before: float
    frozen: float
    readers: int
    breaker_reset: float
    slack: float = 0.5


FULL = Sizes(before=10, frozen=30, readers=16, breaker_reset=5)
QUICK = Sizes(before=2, frozen=4, readers=12, breaker_reset=1)


async def run(sizes: Sizes = FULL) -> Result:
    result = Result(NAME)
    async with stack(
        "rfreeze",
        result,
        CACHE_SOCKET_TIMEOUT_SECONDS=str(SOCKET_TIMEOUT),
        CACHE_BREAKER_RESET_SECONDS=str(sizes.breaker_reset),
        CACHE_BREAKER_FAILURES="3",
    ) as world:
        url = await world.processes.serve()
        root = await operator_headers(world)
        async with httpx.AsyncClient(base_url=url, timeout=30) as client, httpx.AsyncClient() as scraper:
            clinic = await created(
                client, "/api/v1/clinics", {"name": "Frozen Clinic", "timeZone": "UTC"}, root
            )
            loaded = Recorder(client)
            stop = asyncio.Event()
            seen: list[tuple[float, str]] = []

            clinics = [clinic]

            async def read(n: int) -> None:
                # Mostly the first clinic (an L1 hit), now and then a newer one: a first read of it
                # misses L1 and asks Redis, so the breaker sees traffic after the thaw too.
                path = f"/api/v1/clinics/{clinics[-1 if n % 10 == 0 else 0]}" if n % 2 else "/api/v1/clinics"
                await loaded.request("read", "GET", path, headers=root, timeout=10)

            async def write(n: int) -> None:
                body = {"name": f"Clinic {n}", "timeZone": "UTC"}
                response = await loaded.request(
                    "write", "POST", "/api/v1/clinics", json=body, headers=root, timeout=10
                )
                if response is not None and response.status_code == 201:
                    clinics.append(response.json()["id"])
                await asyncio.sleep(0.2)  # a trickle of writes

            async def watch() -> None:
                while not stop.is_set():
                    try:
                        seen.append((time.monotonic(), breaker_state(await scrape(scraper, url))))
                    except httpx.HTTPError:
                        seen.append((time.monotonic(), "no answer"))
                    await asyncio.sleep(0.1)

            load = asyncio.gather(drive(read, sizes.readers, stop), drive(write, 1, stop), watch())
            try:
                start = time.monotonic()
                await asyncio.sleep(sizes.before)
                first = await scrape(scraper, url)
                frozen_at = time.monotonic()
                world.redis.freeze()
                await asyncio.sleep(sizes.frozen)  # hold the fault for its planned duration
                thawed_at = time.monotonic()
                world.redis.thaw()

                async def closed() -> bool:
                    return breaker_state(await scrape(scraper, url)) == "closed" and seen[-1][1] == "closed"

                recovery = await until(closed, 30, "the cache breaker to close")
                last = await scrape(scraper, url)
            finally:
                stop.set()
                await load
            end = time.monotonic()

    reads = loaded.between(start, end, "read")
    writes = loaded.between(start, end, "write")
    during = loaded.between(frozen_at, thawed_at)
    states = [state for at, state in seen if at >= frozen_at]
    opened = last.get("cache_breaker_opened_total", 0) - first.get("cache_breaker_opened_total", 0)
    result.figures.update(
        reads=statuses(reads),
        writes=statuses(writes),
        latency_frozen=latency(during),
        latency_all=latency(reads + writes),
        breaker_states_seen=sorted(set(states)),
        breaker_opened=opened,
        l2_errors=last.get("cache_l2_errors_total", 0) - first.get("cache_l2_errors_total", 0),
        l1_drops=last.get("cache_l1_drops_total", 0) - first.get("cache_l1_drops_total", 0),
        closed_after_thaw_s=round(thawed_at - frozen_at + recovery - sizes.frozen, 2),
    )
    slowest = latency(reads + writes).get("max_ms", 0) / 1000
    bound = SOCKET_TIMEOUT * ROUND_TRIPS + sizes.slack
    result.check(
        "no failed request", all(200 <= s.status < 300 for s in reads + writes), statuses(reads + writes)
    )
    result.check(
        f"no request past {ROUND_TRIPS} x socket timeout + {sizes.slack:g}s",
        slowest <= bound,
        f"max {slowest:.2f}s, bound {bound:.2f}s",
    )
    result.check("breaker opened", "open" in states and opened >= 1, f"opened {opened}x")
    # Only a probe (half-open) closes an open breaker: a close after an opening proves one, when the
    # 0.1 s scrapes missed the probe's moment and no failed probe re-opened it.
    probed = "half_open" in states or opened >= 2 or (opened >= 1 and states[-1:] == ["closed"])
    result.check("breaker half-opened", probed, f"seen {sorted(set(states))}, opened {opened:g}x")
    result.check("breaker closed again", states[-1:] == ["closed"], states[-1:])
    return result


ROUND_TRIPS = 1

"""A slow database: statements over DATABASE_STATEMENT_TIMEOUT_MS (``timeout``).

The server reaches PostgreSQL through the TCP fault proxy (bench/chaos/fault_proxy.py). Two
kinds of slowness, each held for ``hold`` seconds while ``clients`` writers create clinics
(POST /api/v1/clinics) and read the clinic list:

1. slow statements: another session holds an ACCESS EXCLUSIVE lock on ``clinics``, so every
   statement touching it waits on the server until the statement timeout cancels it;
2. a slow link: the proxy delays every packet by 1.5x the timeout, so the server answers in time
   but the answer arrives late (a congested network, an overloaded host). The statement timeout
   is the server's own, so only a client-side deadline (asyncpg's ``command_timeout``, the
   timeout plus a margin) can end such a wait; the connection it broke is dropped at once, and
   the next request opens a new one, bounded by the connect timeout (set to the statement
   timeout here).

Passes when, for each: every request answers 2xx, or 503 with Retry-After, within the timeout
plus ``slack`` seconds; afterwards the pool is healthy: a normal write succeeds and
``db_pool_checked_out`` on /metrics is back to 0.

    python -m bench.chaos.run slow_database [--quick]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
from bench.chaos.fault_proxy import TcpFaultProxy
from bench.chaos.harness import (
    DATABASE_URL,
    Recorder,
    Result,
    Sample,
    drive,
    latency,
    operator_headers,
    scrape,
    stack,
    statuses,
    until,
)
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

NAME = "slow_database"


@dataclass(frozen=True)
class Sizes:
    timeout: float
    hold: float
    clients: int
    slow_link: bool = True
    slack: float = 1.0


FULL = Sizes(timeout=2.0, hold=15, clients=8)
# The client gives up a little after the statement timeout (asyncpg's command_timeout), so the
# slow link answers within seconds and the short run checks it too.
QUICK = Sizes(timeout=1.0, hold=2, clients=4)


async def run(sizes: Sizes = FULL) -> Result:
    result = Result(NAME)
    base = make_url(DATABASE_URL)
    proxy = await TcpFaultProxy(base.host or "127.0.0.1", base.port or 5432).start()
    try:
        async with stack(
            "slowdb",
            result,
            database_url=lambda db: (
                make_url(db.url).set(port=proxy.port).render_as_string(hide_password=False)
            ),
            DATABASE_STATEMENT_TIMEOUT_MS=str(int(sizes.timeout * 1000)),
            # As many connections as clients: a request queued behind others for a connection
            # would also wait out their timeouts (pool saturation, a fault of its own).
            DATABASE_POOL_SIZE=str(sizes.clients),
            DATABASE_MAX_OVERFLOW="2",
            # A connection that a client-side timeout broke is replaced by a new one, which over
            # the slow link waits out the connect timeout: bound it like a statement.
            DATABASE_CONNECT_TIMEOUT_SECONDS=str(sizes.timeout),
        ) as world:
            url = await world.processes.serve()
            root = await operator_headers(world)
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                recorder = Recorder(client)

                async def one(n: int) -> None:
                    if n % 2:
                        body = {"name": f"Slow {n} {time.monotonic_ns()}", "timeZone": "UTC"}
                        await recorder.request("write", "POST", "/api/v1/clinics", json=body, headers=root)
                    else:
                        await recorder.request("read", "GET", "/api/v1/clinics?limit=5", headers=root)

                async def load_for(seconds: float) -> list[Sample]:
                    stop = asyncio.Event()
                    began = time.monotonic()
                    running = asyncio.create_task(drive(one, sizes.clients, stop))
                    await asyncio.sleep(seconds)  # the fault lasts its planned duration
                    stop.set()
                    await running
                    return recorder.between(began, began + seconds)

                locker = create_async_engine(world.db.url)
                try:
                    async with locker.connect() as connection, connection.begin():
                        await connection.execute(text("LOCK TABLE clinics IN ACCESS EXCLUSIVE MODE"))
                        locked = await load_for(sizes.hold)
                finally:
                    await locker.dispose()
                parts = [("slow statements", locked, await healthy(client, url, root))]
                if sizes.slow_link:
                    proxy.latency = sizes.timeout * 1.5
                    slow_link = await load_for(sizes.hold)
                    proxy.latency = 0.0
                    parts.append(("slow link", slow_link, await healthy(client, url, root, deadline=120)))

        bound = sizes.timeout + sizes.slack
        for label, samples, after in parts:
            key = label.replace(" ", "_")
            slowest = latency(samples).get("max_ms", 0) / 1000
            result.figures[key] = {"statuses": statuses(samples), **latency(samples)}
            answered = all(200 <= s.status < 300 or (s.status == 503 and s.retry_after) for s in samples)
            result.check(f"{label}: 2xx or 503 + Retry-After", answered and bool(samples), statuses(samples))
            result.check(
                f"{label}: within timeout + {sizes.slack:g}s",
                slowest <= bound,
                f"max {slowest:.1f}s, bound {bound:.1f}s",
            )
            result.check(f"{label}: pool healthy afterwards", after[0], after[1])
    finally:
        await proxy.close()
    return result


async def healthy(
    client: httpx.AsyncClient, url: str, root: dict[str, str], *, deadline: float = 30
) -> tuple[bool, str]:
    """A normal write succeeds and no pooled connection stays checked out."""
    body = {"name": f"After {time.monotonic_ns()}", "timeZone": "UTC"}
    response = await client.post("/api/v1/clinics", json=body, headers=root)

    async def returned() -> bool:
        return (await scrape(client, url)).get("db_pool_checked_out", -1) == 0

    try:
        await until(returned, deadline, "db_pool_checked_out to return to 0")
    except TimeoutError:
        return False, f"write {response.status_code}, connections still checked out"
    return response.status_code == 201, f"write {response.status_code}, db_pool_checked_out 0"

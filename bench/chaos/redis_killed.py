"""Redis killed (SIGKILL) during a read-heavy load, restarted later.

Readers fetch a clinic (GET /api/v1/clinics/{id}, cached) and the clinic list (GET /api/v1/clinics)
as a super admin, for ``before`` seconds with Redis up, ``outage`` seconds with the private
redis-server killed, and ``after`` seconds once it is restarted on the same port (empty: it kept
nothing). During the outage the scenario also asks for sign-in codes, guesses codes, and runs
past the per-address limit of /api/v1/auth (in-process fallback).

Passes when: 0 5xx on reads (served from L1 or the database); no read slower than the Redis
socket timeout plus ``slack`` seconds; sign-in fails closed (no code issued, no guess accepted)
and the /auth per-address limit still refuses (429) what exceeds it; the cache hit ratio after
the restart is back within 0.1 of the one before.

    python -m bench.chaos.run redis_killed [--quick]
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
    hit_ratio,
    latency,
    operator_headers,
    scrape,
    sql_rows,
    stack,
    statuses,
    until,
)

NAME = "redis_killed"
SOCKET_TIMEOUT = 0.5
AUTH_LIMIT = 20


@dataclass(frozen=True)
class Sizes:
    before: float
    outage: float
    after: float
    readers: int
    slack: float = 1.0


FULL = Sizes(before=15, outage=30, after=20, readers=16)
QUICK = Sizes(before=1.5, outage=2.5, after=2, readers=4)


async def run(sizes: Sizes = FULL) -> Result:
    result = Result(NAME)
    async with stack(
        "rkill",
        result,
        CACHE_SOCKET_TIMEOUT_SECONDS=str(SOCKET_TIMEOUT),
        CACHE_BREAKER_RESET_SECONDS="1",
        RATE_LIMIT_AUTH_REQUESTS_PER_MINUTE=str(AUTH_LIMIT),
        RATE_LIMIT_OTP_REQUESTS_PER_IP_PER_HOUR="1000",
    ) as world:
        url = await world.processes.serve()
        root = await operator_headers(world)
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            clinic = await created(
                client, "/api/v1/clinics", {"name": "Kill Clinic", "timeZone": "UTC"}, root
            )
            email = "otp.user@clinic.example"
            await created(client, "/api/v1/users", {"name": "Otp User", "email": email}, root)
            loaded = Recorder(client)
            stop = asyncio.Event()

            async def read(n: int) -> None:
                path = f"/api/v1/clinics/{clinic}" if n % 2 else "/api/v1/clinics"
                await loaded.request("read", "GET", path, headers=root, timeout=10)

            load = asyncio.create_task(drive(read, sizes.readers, stop))
            try:
                start = time.monotonic()
                await asyncio.sleep(sizes.before)  # the planned warm phase
                warm = await scrape(client, url)
                await asyncio.sleep(sizes.before / 2)
                steady = await scrape(client, url)
                killed_at = time.monotonic()
                world.redis.kill()
                probes = Recorder(client)
                await asyncio.sleep(min(1.0, sizes.outage / 3))
                for _ in range(3):
                    body = {"deliveryMethod": "email", "email": email}
                    await probes.request("request-otp", "POST", "/api/v1/auth/request-otp", json=body)
                for guess in range(AUTH_LIMIT + 10):
                    body = {"email": email, "code": f"{guess:06d}"}
                    await probes.request("verify-otp", "POST", "/api/v1/auth/verify-otp", json=body)
                await asyncio.sleep(max(0.0, killed_at + sizes.outage - time.monotonic()))
                restarted_at = time.monotonic()
                await world.redis.start()

                async def closed() -> bool:
                    return breaker_state(await scrape(client, url)) == "closed"

                recovery = await until(closed, 30, "the cache breaker to close")
                recovered = await scrape(client, url)
                await asyncio.sleep(sizes.after)
                final = await scrape(client, url)
            finally:
                stop.set()
                await load
            end = time.monotonic()
            issued = await sql_rows(world.db.url, "SELECT count(*) FROM outbox_messages")

        reads = loaded.between(start, end)
        outage = loaded.between(killed_at, restarted_at)
        server_errors = [s for s in reads if s.status >= 500 or s.status == 0]
        guesses = [s for s in probes.samples if s.kind == "verify-otp"]
        requests = [s for s in probes.samples if s.kind == "request-otp"]
        refused = sum(1 for s in probes.samples if s.status == 429)
        allowed = len(probes.samples) - refused
        ratio_before, ratio_after = hit_ratio(warm, steady), hit_ratio(recovered, final)
        result.figures.update(
            reads=statuses(reads),
            read_latency_outage=latency(outage),
            read_latency_all=latency(reads),
            hit_ratio_before=ratio_before,
            hit_ratio_outage=hit_ratio(steady, recovered),
            hit_ratio_after=ratio_after,
            breaker_closed_after_s=round(recovery, 2),
            breaker_opened=final.get("cache_breaker_opened_total", 0)
            - warm.get("cache_breaker_opened_total", 0),
            l2_errors=final.get("cache_l2_errors_total", 0) - warm.get("cache_l2_errors_total", 0),
            otp_requests=statuses(requests),
            otp_guesses=statuses(guesses),
            codes_issued=issued[0][0],
        )
        bound = SOCKET_TIMEOUT + sizes.slack
        result.check("0 5xx on reads", not server_errors, statuses(reads))
        slowest = latency(outage).get("max_ms", 0) / 1000
        result.check(
            f"reads within the Redis timeout + {sizes.slack:g}s", slowest <= bound, f"max {slowest:.2f}s"
        )
        result.check(
            "sign-in fails closed",
            issued[0][0] == 0 and not any(s.status == 200 for s in guesses + requests),
            f"codes issued {issued[0][0]}, guesses {statuses(guesses)}",
        )
        result.check(
            "auth limit still enforced",
            allowed <= AUTH_LIMIT and refused > 0,
            f"{allowed} of {len(probes.samples)} let through, limit {AUTH_LIMIT}",
        )
        result.check(
            "hit ratio recovers", ratio_after >= ratio_before - 0.1, f"{ratio_before} -> {ratio_after}"
        )
    return result

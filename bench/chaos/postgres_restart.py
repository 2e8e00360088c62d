"""PostgreSQL restarted (immediate) during a write load.

The shared PostgreSQL cluster is never restarted (other work uses it): the server and the worker
reach their database through a TCP fault proxy (bench/chaos/fault_proxy.py), and the "restart"
is what an immediate restart looks like to a client: every connection reset mid-transaction and
new ones refused for ``outage`` seconds, then accepted again.

Writers create clinics (POST /api/v1/clinics: the row and its audit entry in one transaction) and
ask for sign-in codes for users with an email address (POST /api/v1/auth/request-otp: a code
message in the outbox, delivered by the worker to a local SMTP sink). Passes when: every 201
clinic has its row and its audit entry; no CREATE_CLINIC audit entry lacks its clinic; the audit
chain verifies (``healthcare audit verify``); every outbox message is SENT and at the sink, and
every 202 sign-in request's code reached its user; every answer that is not 2xx, during the
outage or not, is 503 with Retry-After.

    python -m bench.chaos.run postgres_restart [--quick]
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass

import httpx
from bench.chaos.fault_proxy import TcpFaultProxy
from bench.chaos.harness import (
    DATABASE_URL,
    Recorder,
    Result,
    created,
    drive,
    latency,
    operator_headers,
    sql_rows,
    stack,
    statuses,
    until,
)
from processes import cli
from sqlalchemy.engine import make_url

from smtp_sink import SmtpSink

NAME = "postgres_restart"


@dataclass(frozen=True)
class Sizes:
    before: float
    outage: float
    after: float
    writers: int
    codes_per_second: float  # sign-in codes asked for, on a lane of their own

    @property
    def users(self) -> int:
        return int((self.before + self.outage + self.after + 2) * self.codes_per_second) + 1


FULL = Sizes(before=10, outage=10, after=15, writers=8, codes_per_second=5)
QUICK = Sizes(before=1.5, outage=2, after=2, writers=4, codes_per_second=4)


async def run(sizes: Sizes = FULL) -> Result:
    result = Result(NAME)
    sink = SmtpSink().start_in_thread()
    proxy: TcpFaultProxy | None = None
    try:
        # The proxy's target is the real server; its port is known before the processes start.
        base = make_url(DATABASE_URL)
        proxy = await TcpFaultProxy(base.host or "127.0.0.1", base.port or 5432).start()
        port = proxy.port
        async with stack(
            "pgrestart",
            result,
            database_url=lambda db: make_url(db.url).set(port=port).render_as_string(hide_password=False),
            EMAIL_SMTP_HOST="127.0.0.1",
            EMAIL_SMTP_PORT=str(sink.port),
            RATE_LIMIT_AUTH_REQUESTS_PER_MINUTE="1000000",
            RATE_LIMIT_OTP_REQUESTS_PER_IP_PER_HOUR="1000000",
            DATABASE_CONNECT_TIMEOUT_SECONDS="2",
        ) as world:
            url = await world.processes.serve()
            await world.processes.worker()
            root = await operator_headers(world)
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                emails = [f"user{i}@chaos.example" for i in range(sizes.users)]
                made = time.monotonic()
                for email in emails:
                    await created(client, "/api/v1/users", {"name": "Someone", "email": email}, root)
                result.figures["users_made_in_s"] = round(time.monotonic() - made, 1)
                loaded = Recorder(client)
                names: dict[str, int] = {}  # clinic name -> status
                codes: dict[str, int] = {}  # email -> status
                unused = iter(emails)
                numbers = itertools.count()
                stop = asyncio.Event()

                async def write(_: int) -> None:
                    name = f"Clinic {next(numbers)}"
                    body = {"name": name, "timeZone": "UTC"}
                    response = await loaded.request(
                        "clinic", "POST", "/api/v1/clinics", json=body, headers=root, timeout=20
                    )
                    names[name] = response.status_code if response is not None else 0

                async def ask_for_codes() -> None:
                    for email in unused:
                        if stop.is_set():
                            return
                        body = {"deliveryMethod": "email", "email": email}
                        asked = asyncio.create_task(
                            loaded.request("otp", "POST", "/api/v1/auth/request-otp", json=body, timeout=20)
                        )
                        await asyncio.sleep(1 / sizes.codes_per_second)  # the lane's pace
                        response = await asked
                        codes[email] = response.status_code if response is not None else 0

                load = asyncio.gather(drive(write, sizes.writers, stop), ask_for_codes())
                try:
                    await asyncio.sleep(sizes.before)
                    cut_at = time.monotonic()
                    await proxy.refuse()
                    await asyncio.sleep(sizes.outage)  # hold the outage for its planned duration
                    back_at = time.monotonic()
                    await proxy.accept()
                    await asyncio.sleep(sizes.after)
                finally:
                    stop.set()
                    await load
                end = time.monotonic()

                async def drained() -> bool:
                    rows = await sql_rows(
                        world.db.url, "SELECT count(*) FROM outbox_messages WHERE status <> 'SENT'"
                    )
                    return rows[0][0] == 0

                drain = await until(drained, 120, "every outbox message to be sent")

            clinics = {
                row[0]: str(row[1]) for row in await sql_rows(world.db.url, "SELECT name, id FROM clinics")
            }
            audited = {
                row[0]
                for row in await sql_rows(
                    world.db.url, "SELECT resource_id FROM audit_entries WHERE action = 'CREATE_CLINIC'"
                )
            }
            outbox = {str(row[0]) for row in await sql_rows(world.db.url, "SELECT id FROM outbox_messages")}
            verify = await asyncio.to_thread(cli, world.workdir, "audit", "verify", env=world.direct_env)

        delivered = set(sink.message_ids())
        reached = {r for received in sink.received for r in received.recipients}
        ok_clinics = [name for name, status in names.items() if status == 201]
        ok_codes = [email for email, status in codes.items() if status == 202]
        not_ok = [s for s in loaded.samples if not 200 <= s.status < 300]
        bad = [s for s in not_ok if s.status != 503 or not s.retry_after]
        outage = loaded.between(cut_at, back_at)
        after = [s for s in loaded.between(back_at, end) if 200 <= s.status < 300]
        result.figures.update(
            writes=statuses(loaded.samples),
            during_outage=statuses(outage),
            write_latency_outage=latency(outage),
            first_2xx_after_s=round(min((s.started + s.seconds for s in after), default=end) - back_at, 2),
            clinics_201=len(ok_clinics),
            clinic_rows=len(clinics),
            codes_202=len(ok_codes),
            codes_during_outage=statuses(loaded.between(cut_at, back_at, "otp")),
            outbox_messages=len(outbox),
            drained_after_s=round(drain, 1),
        )
        missing_rows = [n for n in ok_clinics if n not in clinics or clinics[n] not in audited]
        orphans = sorted(audited - set(clinics.values()))
        undelivered = {f"<{m}@clinic.local>" for m in outbox} - delivered
        unreached = [e for e in ok_codes if e not in reached]
        result.check(
            "every 2xx write has its row and audit entry", not missing_rows, f"{len(missing_rows)} missing"
        )
        result.check("no audit entry without its write", not orphans, f"{len(orphans)} orphans")
        summary = (verify.stdout.strip() or verify.stderr.strip()).splitlines()[-1:]
        result.check("audit chain verifies", verify.returncode == 0, " ".join(summary))
        result.check(
            "every committed message delivered",
            not undelivered and not unreached,
            f"{len(undelivered)} undelivered, {len(unreached)} codes lost",
        )
        result.check(
            "only 503 with Retry-After when not 2xx",
            not bad and bool(outage),
            f"{statuses(bad)} bad of {len(not_ok)}",
        )
    finally:
        if proxy is not None:
            await proxy.close()
        sink.stop_thread()
    return result

"""Booking on PostgreSQL, measured in one bounded run through the real server (issue #5's table).

What runs: a throwaway database (created, migrated with a restricted app role, dropped at the
end) and `healthcare serve` on the production profile pointed at it, caching in Redis under a
key prefix of the run's own (removed at the end). Two clinics are loaded with the demo seeder
(application.demo, through the repositories): doctors with weekly schedules, patients, a
receptionist each. Then, over HTTP with a receptionist's token:

- bookings per second with 1, 8 and 32 concurrent clients, each booking the next free slot of
  the clinic's doctors (slots computed from the doctors' schedules, patients chosen so that no
  booking overlaps another of its patient);
- ONE contested slot at a time: every client asks for the same slot (each for another patient),
  round after round; exactly one must win each round; then a SQL self-join counts overlapping
  active appointments of one doctor or one patient (double bookings: must be 0);
- p50/p99 of GET /api/v1/appointments?clinicId=...&limit=20, first page and a page deep in
  (a cursor at the middle row, built the way the server builds them), with 10,000 and with
  1,000,000 appointments in the clinic. The rows are generated directly in SQL (INSERT ...
  SELECT generate_series: past COMPLETED visits, non-overlapping per doctor and per patient,
  sealed reason NULL), not through the API: a million bookings would take the run hours;
- availability over 31 days: p50/p99 cached (the same query repeated) and uncached (a distinct
  doctor and range each time, so every request misses).

Prints the machine, the versions and one table (measure, result, goal, pass), and writes
bench/results/booking.json (booking-quick.json with --quick: smaller sizes, a smoke run).

    .venv/bin/python bench/booking.py [--quick] [--seconds 5] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.serving import free_port, server  # noqa: E402
from bench.throwaway import REDIS_DB, throwaway_database  # noqa: E402

from adapters.sql.engine import EngineOptions, create_engine  # noqa: E402
from adapters.sql.migrate import migrate  # noqa: E402
from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand  # noqa: E402
from application.demo.demo_plan import ClinicPlan, DemoSize, Naming, plan_clinics  # noqa: E402
from application.demo.seed_clinical_demo import SeedClinicalDemo  # noqa: E402
from application.ports.appointments import AppointmentKey  # noqa: E402
from domain.scheduling import Interval, free_slots  # noqa: E402
from entrypoints.bootstrap import as_system  # noqa: E402
from entrypoints.config import load_settings  # noqa: E402
from entrypoints.http.appointment_lifecycle import encode_cursor  # noqa: E402
from entrypoints.ioc.profiles import build_container  # noqa: E402

NAME = f"bench_booking_{uuid.uuid4().hex[:10]}"
ROLE = f"{NAME}_app"
PREFIX = f"{NAME}-cache"
NAMING = Naming(tag=".bench")
DOCTORS, PATIENTS = 50, 400
SECRETS = {
    "JWT_SECRET": "bench-" + "x" * 40,
    "SECURITY_PHI_ENCRYPTION_KEY": "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
    "SECURITY_BLIND_INDEX_KEY": "b" * 40,
    "SECURITY_AUDIT_KEY": "a" * 40,
    "SECURITY_OTP_HASH_KEY": "o" * 40,
}
ACTIVE = "('HELD', 'BOOKED', 'CHECKED_IN')"
DOUBLE_BOOKINGS = """
SELECT count(*) FROM appointments a JOIN appointments b
  ON a.clinic_id = b.clinic_id AND a.{who} = b.{who} AND a.id < b.id
 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
WHERE a.status IN {active} AND b.status IN {active}
"""
BULK = """
INSERT INTO appointments (clinic_id, id, location_id, doctor_id, patient_id, starts_at, ends_at, status,
  reason_sealed, hold_expires_at, cancelled_reason_sealed, cancelled_by, cancelled_at, version,
  created_at, created_by, updated_at, updated_by)
SELECT c.clinic, gen_random_uuid(), c.location, c.doctors[k % :n_doctors + 1],
  c.patients[((k % :n_doctors) + k / :n_doctors) % :n_patients + 1],
  c.base + (k / :n_doctors) * interval '30 minutes', c.base + (k / :n_doctors + 1) * interval '30 minutes',
  'COMPLETED', NULL, NULL, NULL, NULL, NULL, 3,
  c.base - interval '7 days', c.patients[((k % :n_doctors) + k / :n_doctors) % :n_patients + 1],
  c.base + (k / :n_doctors + 1) * interval '30 minutes', c.doctors[k % :n_doctors + 1]
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS k,
  (SELECT CAST(:clinic AS uuid) AS clinic, CAST(:location AS uuid) AS location,
          CAST(:doctors AS uuid[]) AS doctors, CAST(:patients AS uuid[]) AS patients,
          CAST(:base AS timestamptz) AS base) AS c
"""


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": statistics.median(samples), "p99_ms": percentile(samples, 0.99), "n": len(samples)}


# -- the throwaway database and server -------------------------------------------------------------
async def _migrated(url: str) -> None:
    engine = create_engine(EngineOptions(url=url))
    try:
        await migrate(engine, app_role=ROLE)
    finally:
        await engine.dispose()


def database() -> AbstractAsyncContextManager[str]:
    return throwaway_database(NAME, ROLE, prepare=_migrated)


def environment(url: str, port: int, workers: int) -> dict[str, str]:
    return {
        "APP_PROFILE": "production",
        "APP_ENV": "staging",
        "APP_PORT": str(port),
        "APP_WORKERS": str(workers),
        "DATABASE_URL": url,
        "DATABASE_APP_ROLE": ROLE,
        "DATABASE_POOL_SIZE": "20",
        "CACHE_PROVIDER": "redis",
        "CACHE_HOST": "127.0.0.1",
        "APP_HOST": "127.0.0.1",
        "CACHE_DB": str(REDIS_DB),
        "CACHE_KEY_PREFIX": PREFIX,
        "RATE_LIMIT_ENABLED": "false",
        "LOGGING_LEVEL": "WARNING",
        "JWT_ACCESS_TTL_MINUTES": "240",
        **SECRETS,
    }


# -- loading -------------------------------------------------------------------------------------
async def seed(env: dict[str, str], workdir: Path) -> tuple[list[ClinicPlan], list[dict[str, str]]]:
    """Two clinics of DOCTORS doctors and PATIENTS patients (no appointments), and a receptionist
    token for each, written in-process through the seeder."""
    settings = load_settings(env, base_dir=workdir, in_container=False)
    container = build_container(settings)
    size = DemoSize(clinics=2, doctors_per_clinic=DOCTORS, patients=PATIENTS, days=0, past_days=0, fill=0)
    try:
        async with container() as request:
            await as_system(request)
            plans = list(plan_clinics(size, seed=1, now=datetime.now(UTC), naming=NAMING))
            await (await request.get(SeedClinicalDemo))(plans)
            issue = await request.get(IssueOperatorToken)
            tokens = []
            for number in (1, 2):
                email = str(NAMING.email("reception", number, 0))
                issued = await issue(IssueOperatorTokenCommand(email=email, ttl_minutes=240))
                tokens.append({"Authorization": f"Bearer {issued.token}"})
    finally:
        await container.close()
    return plans, tokens


def slots_of(plan: ClinicPlan, first_day: int, days: int, doctors: slice) -> list[tuple[Any, ...]]:
    """(start, doctor, location) of the doctors' free slots in [today + first_day, + days), by time."""
    zone = ZoneInfo(plan.clinic.time_zone if plan.clinic else "UTC")
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=first_day)
    found = []
    for _user, _member, doctor in plan.doctors[doctors]:
        for offset in range(0, days, 31):
            span = Interval(start + timedelta(days=offset), start + timedelta(days=min(offset + 31, days)))
            for slot in free_slots(doctor.schedule(), zone, span, (), now=span.start):
                found.append((slot.start, doctor, slot.location_id))
    return sorted(found, key=lambda s: (s[0], s[1].id))


def booking(plan: ClinicPlan, slot: tuple[Any, ...], patient: UUID) -> dict[str, Any]:
    start, doctor, location = slot
    return {
        "clinicId": str(plan.clinic_id),
        "locationId": str(location),
        "doctorId": str(doctor.id),
        "patientId": str(patient),
        "startsAt": start.isoformat().replace("+00:00", "Z"),
    }


# -- scenarios -----------------------------------------------------------------------------------
async def free_bookings(
    client: httpx.AsyncClient,
    plan: ClinicPlan,
    headers: dict[str, str],
    slots: Any,
    clients: int,
    seconds: float,
) -> dict[str, Any]:
    patients = [p.record.id for p in plan.patients]
    latencies: list[float] = []
    outcomes: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        while time.perf_counter() < deadline:
            index, slot = next(slots)
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/appointments",
                json=booking(plan, slot, patients[index % len(patients)]),
                headers=headers,
            )
            latencies.append((time.perf_counter() - started) * 1000)
            outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "per_second": outcomes.get(201, 0) / elapsed,
        "statuses": outcomes,
        **summary(latencies),
    }


async def contested(
    client: httpx.AsyncClient,
    plan: ClinicPlan,
    headers: dict[str, str],
    slots: Any,
    clients: int,
    seconds: float,
) -> dict[str, Any]:
    patients = [p.record.id for p in plan.patients]
    rounds = won = attempts = 0
    bad_rounds: list[dict[int, int]] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        slot = next(slots)
        bodies = [
            booking(plan, slot, patients[(rounds * clients + c) % len(patients)]) for c in range(clients)
        ]
        answers = await asyncio.gather(
            *(client.post("/api/v1/appointments", json=body, headers=headers) for body in bodies)
        )
        statuses: dict[int, int] = {}
        for answer in answers:
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        rounds, attempts, won = rounds + 1, attempts + clients, won + statuses.get(201, 0)
        if statuses.get(201, 0) != 1 or statuses.get(409, 0) != clients - 1:
            bad_rounds.append(statuses)
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "rounds": rounds,
        "per_second": won / elapsed,
        "attempts_per_second": attempts / elapsed,
        "rounds_without_exactly_one_winner": len(bad_rounds),
        "bad_rounds": bad_rounds[:5],
    }


async def scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(text(sql), params)).scalar()


async def bulk_insert(engine: AsyncEngine, plan: ClinicPlan, first: int, last: int) -> None:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=3 * 365)
    params = {
        "clinic": str(plan.clinic_id),
        "location": str(plan.locations[0].id),
        "doctors": [str(d.id) for _, _, d in plan.doctors],
        "patients": [str(p.record.id) for p in plan.patients],
        "base": base,
        "n_doctors": len(plan.doctors),
        "n_patients": len(plan.patients),
    }
    for start in range(first, last + 1, 200_000):
        async with engine.begin() as connection:
            await connection.execute(
                text(BULK), {**params, "first": start, "last": min(last, start + 199_999)}
            )
    async with engine.begin() as connection:  # committed: ANALYZE in a rolled-back unit is undone
        await connection.execute(text("ANALYZE appointments"))


async def timed(call: Callable[[], Awaitable[httpx.Response]], samples: int) -> dict[str, float]:
    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        response = await call()
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
    return summary(latencies)


async def list_pages(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    plan: ClinicPlan,
    headers: dict[str, str],
    rows: int,
    samples: int,
) -> dict[str, Any]:
    params = {"clinicId": str(plan.clinic_id), "limit": 20}
    middle_row = (
        "SELECT starts_at, id FROM appointments WHERE clinic_id = :c ORDER BY starts_at, id OFFSET :o LIMIT 1"
    )
    async with engine.connect() as connection:
        middle = (
            await connection.execute(text(middle_row), {"c": str(plan.clinic_id), "o": rows // 2})
        ).one()
    cursor = encode_cursor(AppointmentKey(middle.starts_at, middle.id), f"appointments:{plan.clinic_id}")

    async def first() -> httpx.Response:
        return await client.get("/api/v1/appointments", params=params, headers=headers)

    async def deep() -> httpx.Response:
        return await client.get("/api/v1/appointments", params={**params, "cursor": cursor}, headers=headers)

    deep_page = await deep()
    if deep_page.status_code != 200 or len(deep_page.json()["items"]) != 20:
        raise RuntimeError(f"the deep page did not answer 20 items: {deep_page.text[:300]}")
    await timed(first, 10)  # warm-up
    return {"rows": rows, "first": await timed(first, samples), "deep": await timed(deep, samples)}


async def availability(
    client: httpx.AsyncClient, plan: ClinicPlan, headers: dict[str, str], samples: int
) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    doctors = [d.id for _, _, d in plan.doctors]
    combos = itertools.product(range(1, 400), doctors)

    def ask(day: int, doctor: UUID) -> Callable[[], Awaitable[httpx.Response]]:
        since = today + timedelta(days=day)
        path = f"/api/v1/clinics/{plan.clinic_id}/doctors/{doctor}/availability"
        params = {"from": since.isoformat(), "to": (since + timedelta(days=31)).isoformat()}
        return lambda: client.get(path, params=params, headers=headers)

    uncached: list[float] = []
    for _ in range(samples):
        uncached.append((await timed(ask(*next(combos)), 1))["p50_ms"])
    repeated = ask(1, doctors[0])
    await repeated()
    return {"uncached": summary(uncached), "cached": await timed(repeated, samples)}


# -- the run -------------------------------------------------------------------------------------
async def bench(quick: bool, seconds: float, workers: int, workdir: Path) -> dict[str, Any]:
    sizes = (1_000, 50_000) if quick else (10_000, 1_000_000)
    samples = 50 if quick else 300
    result: dict[str, Any] = {"quick": quick, "seconds_per_cell": seconds, "workers": workers}
    async with database() as url:
        env = environment(url, free_port(), workers)
        started = time.perf_counter()
        plans, tokens = await seed(env, workdir)
        result["seed_seconds"] = time.perf_counter() - started
        engine = create_async_engine(url)
        try:
            result["postgresql"] = await scalar(engine, "SHOW server_version")
            booked, listed = plans
            async with (
                server([sys.executable, "-m", "entrypoints.cli", "serve"], env, workdir) as base,
                httpx.AsyncClient(
                    base_url=base, timeout=30, limits=httpx.Limits(max_connections=64)
                ) as client,
            ):
                free = iter(enumerate(slots_of(booked, 2, 200, slice(1, None))))
                result["free"] = [
                    await free_bookings(client, booked, tokens[0], free, n, seconds) for n in (1, 8, 32)
                ]
                one_doctor = iter(slots_of(booked, 210, 300, slice(0, 1)))
                result["contested"] = [
                    await contested(client, booked, tokens[0], one_doctor, n, seconds) for n in (1, 8, 32)
                ]
                result["double_bookings"] = {
                    who: await scalar(engine, DOUBLE_BOOKINGS.format(who=who, active=ACTIVE))
                    for who in ("doctor_id", "patient_id")
                }
                result["availability"] = await availability(client, booked, tokens[0], samples)
                result["list"] = []
                done = 0
                for rows in sizes:
                    await bulk_insert(engine, listed, done, rows - 1)
                    done = rows
                    result["list"].append(await list_pages(client, engine, listed, tokens[1], rows, samples))
        finally:
            await engine.dispose()
    return result


def machine() -> dict[str, Any]:
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    cpu = next(
        (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
        platform.processor(),
    )
    libraries = ("litestar", "granian", "sqlalchemy", "asyncpg", "redis", "httpx", "msgspec")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
        **{name: version(name) for name in libraries},
    }


def rows_of(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for cell in result["free"]:
        rows.append(
            (
                f"bookings/s, free slots, {cell['clients']} client(s)",
                f"{cell['per_second']:.0f}/s (p50 {cell['p50_ms']:.1f} ms, p99 {cell['p99_ms']:.1f} ms; "
                f"statuses {cell['statuses']})",
                "every booking 201",
                "pass" if set(cell["statuses"]) == {201} else "FAIL",
            )
        )
    for cell in result["contested"]:
        rows.append(
            (
                f"one contested slot, {cell['clients']} client(s)",
                f"{cell['per_second']:.0f} bookings/s, {cell['attempts_per_second']:.0f} attempts/s, "
                f"{cell['rounds']} rounds",
                "exactly one winner per round",
                "pass" if cell["rounds_without_exactly_one_winner"] == 0 else "FAIL",
            )
        )
    doubles = sum(result["double_bookings"].values())
    rows.append(
        (
            "double bookings found (SQL, doctor + patient)",
            str(doubles),
            "0",
            "pass" if doubles == 0 else "FAIL",
        )
    )
    small, large = result["list"]
    for page in ("first", "deep"):
        ratio = large[page]["p99_ms"] / small[page]["p99_ms"]
        rows.append(
            (
                f"list, {page} page, p50/p99 at {small['rows']:,} -> {large['rows']:,}",
                f"{small[page]['p50_ms']:.1f}/{small[page]['p99_ms']:.1f} ms -> "
                f"{large[page]['p50_ms']:.1f}/{large[page]['p99_ms']:.1f} ms (p99 ratio {ratio:.2f})",
                "p99 ratio <= 1.5",
                "pass" if ratio <= 1.5 else "FAIL",
            )
        )
    for kind, goal in (("cached", 20.0), ("uncached", 100.0)):
        cell = result["availability"][kind]
        rows.append(
            (
                f"availability, 31 days, {kind}",
                f"p50 {cell['p50_ms']:.1f} ms, p99 {cell['p99_ms']:.1f} ms",
                f"p99 < {goal:.0f} ms",
                "pass" if cell["p99_ms"] < goal else "FAIL",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and shorter cells: a smoke run")
    parser.add_argument("--seconds", type=float, help="per booking cell (default 5; 1 with --quick)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    args = parser.parse_args()
    seconds = args.seconds or (1.0 if args.quick else 5.0)
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / NAME
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = asyncio.run(bench(args.quick, seconds, args.workers, workdir))
    result["machine"] = machine()
    result["total_seconds"] = time.perf_counter() - started
    print("machine: " + ", ".join(f"{k} {v}" for k, v in result["machine"].items()))
    run = f"server workers {args.workers}; run {result['total_seconds']:.0f} s"
    print(f"PostgreSQL {result['postgresql']}; {run}")
    print("\n| measure | result | goal | pass |\n|---|---|---|---|")
    for row in rows_of(result):
        print("| " + " | ".join(row) + " |")
    out = ROOT / "bench" / "results" / ("booking-quick.json" if args.quick else "booking.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

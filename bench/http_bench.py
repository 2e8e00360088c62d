"""The HTTP API under load, in one bounded run through the real server (issue #8, section 4).

What runs, as an operator would run it: a throwaway PostgreSQL database (created, brought up to
date with `healthcare migrate` under a restricted app role, dropped at the end), demo data from
`healthcare seed-demo`, and `healthcare serve` (granian) on the production profile, caching in
the local Redis under a key prefix of the run's own (deleted at the end). Rate limits stay on, with
limits raised past what the run sends, so their cost is paid as in production. Every
authenticated request carries a session access token obtained by signing in (request-otp, then
verify-otp with the code read from the outbox table, where the delivery channel would take it),
so the session (revocation) check runs on every request.

The load comes from another process: wrk (one thread, keep-alive connections) for the
throughput scenarios, or where wrk is not installed (or with ``--client python``)
bench/http_loadgen.py, a plain-asyncio HTTP/1.1 client with the same requests, connections and
summary, in its own process; it takes more CPU per request than wrk, so on a small machine its
rows (the ceiling first) come out lower, and the table and the JSON (``client``) say which ran.
The mixed day, which needs answers (OTP codes, fresh slots) and a fixed arrival rate, always uses a
Python asyncio client (httpx, HTTP/1.1 keep-alive). The table:

- the ceiling: a bare Litestar app returning a constant msgspec Struct (bench/http_apps.py),
  served by granian with the same arguments and workers;
- GET /api/v1/appointments/{id}, cache warm (token, session, membership, tenancy, PHI-read audit),
  with the verified-claims cache on and (bench/http_apps.py) off;
- a hand-written Litestar endpoint running the appointment query of that GET over asyncpg;
- the same GET with the cache cold: a second server with CACHE_ENABLED=false (a fresh id each
  time would not do: appointments are not cached, the user, memberships and clinic are);
- POST /api/v1/appointments on free slots;
- a mixed day: first its peak (closed loop), then a fixed arrival rate of half that peak;
- the cost of verifying one HS256 token with PyJWT on this machine, measured in-process.

Prints the machine, the versions and one table; writes bench/results/http.json (http-quick.json
with --quick: a ~30-second smoke run at small sizes, whose figures mean little).

    .venv/bin/python bench/http_bench.py [--quick] [--seconds 10] [--workers 1] [--connections 32]
                                         [--client auto|wrk|python]
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import AbstractAsyncContextManager  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from importlib.metadata import version  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
from bench import http_load  # noqa: E402
from bench.http_report import print_report  # noqa: E402
from bench.serving import free_port, server  # noqa: E402
from bench.throwaway import REDIS_DB, throwaway_database  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine  # noqa: E402

NAME = f"bench_http_{uuid.uuid4().hex[:10]}"
ROLE = f"{NAME}_app"
PHI_KEY = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
SECRETS = {
    "JWT_SECRET": "bench-" + "x" * 40,
    "SECURITY_PHI_ENCRYPTION_KEY": PHI_KEY,
    "SECURITY_BLIND_INDEX_KEY": "b" * 40,
    "SECURITY_AUDIT_KEY": "a" * 40,
    "SECURITY_OTP_HASH_KEY": "o" * 40,
}
RECEPTION = "reception.1.0.s1@seed.demo.clinic"
HIGH = str(10**9)


def environment(url: str, port: int, workers: int) -> dict[str, str]:
    return {
        "APP_PROFILE": "production",
        "APP_ENV": "production",
        "APP_HOST": "127.0.0.1",
        "APP_PORT": str(port),
        "APP_WORKERS": str(workers),
        "DATABASE_URL": url,
        "DATABASE_APP_ROLE": ROLE,
        "DATABASE_POOL_SIZE": "20",
        "CACHE_PROVIDER": "redis",
        "CACHE_HOST": "127.0.0.1",
        "CACHE_DB": str(REDIS_DB),
        "CACHE_KEY_PREFIX": NAME,
        "EMAIL_PROVIDER": "smtp",  # nothing is sent: no worker runs; the outbox keeps the messages
        "EMAIL_SMTP_HOST": "127.0.0.1",
        "RATE_LIMIT_REQUESTS_PER_MINUTE": HIGH,
        "RATE_LIMIT_USER_REQUESTS_PER_MINUTE": HIGH,
        "RATE_LIMIT_CLINIC_REQUESTS_PER_MINUTE": HIGH,
        "RATE_LIMIT_AUTH_REQUESTS_PER_MINUTE": HIGH,
        "RATE_LIMIT_OTP_REQUESTS_PER_HOUR": HIGH,
        "RATE_LIMIT_OTP_REQUESTS_PER_IP_PER_HOUR": HIGH,
        "RATE_LIMIT_OTP_RESEND_COOLDOWN_SECONDS": "1",
        "LOGGING_LEVEL": "WARNING",
        "LOGGING_ACCESS_LOG": "false",
        "JWT_ACCESS_TTL_MINUTES": "240",
        **SECRETS,
    }


# -- the throwaway database, the CLI, the servers --------------------------------------------------
def database() -> AbstractAsyncContextManager[str]:
    return throwaway_database(NAME, ROLE)  # migrated by `healthcare migrate`, as an operator would


def healthcare(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "healthcare"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "entrypoints.cli", *args]


def run_cli(env: dict[str, str], workdir: Path, *args: str) -> str:
    done = subprocess.run(
        healthcare(*args),
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"healthcare {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def bench_app(target: str, env: dict[str, str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.http_apps",
        target,
        "--port",
        env["APP_PORT"],
        "--workers",
        env["APP_WORKERS"],
    ]


# -- what the scenarios need -----------------------------------------------------------------------
async def sign_in(client: httpx.AsyncClient, engine: AsyncEngine, email: str) -> tuple[str, float, float]:
    """A session access token for ``email``, and the latencies (ms) of the two requests."""
    since = datetime.now(UTC) - timedelta(seconds=2)
    started = time.perf_counter()
    asked = await client.post("/api/v1/auth/request-otp", json={"deliveryMethod": "email", "email": email})
    first = (time.perf_counter() - started) * 1000
    if asked.status_code != 202:
        raise RuntimeError(f"request-otp: {asked.status_code} {asked.text[:300]}")
    code = await otp_code(engine, email, since)
    started = time.perf_counter()
    verified = await client.post("/api/v1/auth/verify-otp", json={"email": email, "code": code})
    second = (time.perf_counter() - started) * 1000
    if verified.status_code != 200:
        raise RuntimeError(f"verify-otp: {verified.status_code} {verified.text[:300]}")
    return str(verified.json()["accessToken"]), first, second


_CODEC: Any = None


async def otp_code(engine: AsyncEngine, email: str, since: datetime) -> str:
    """The code of the newest OTP message to ``email`` in the outbox, opened with the PHI key."""
    global _CODEC
    if _CODEC is None:
        from adapters.crypto.field_cipher import AesGcmFieldCipher
        from adapters.sql.outbox_codec import OutboxCodec

        _CODEC = OutboxCodec(AesGcmFieldCipher.from_spec(PHI_KEY))
    query = text(
        "SELECT id, recipient_sealed, parameters_sealed FROM outbox_messages WHERE status = 'PENDING' "
        "AND next_attempt_at >= :since AND template = 'otp' ORDER BY created_at DESC"
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query, {"since": since})).all()
    for row in rows:
        if _CODEC.open(row.id, "recipient", row.recipient_sealed) == email:
            return str(json.loads(_CODEC.open(row.id, "parameters", row.parameters_sealed))["code"])
    raise RuntimeError("no OTP message for this identity in the outbox")


async def appointments(client: httpx.AsyncClient, clinic: str, pages: int) -> list[dict[str, Any]]:
    found, cursor = [], None
    for _ in range(pages):
        params = {"clinicId": clinic, "limit": "100", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/appointments", params=params)).json()
        found.extend(page["items"])
        cursor = page.get("nextCursor")
        if not cursor:
            break
    return found


async def free_slots(
    client: httpx.AsyncClient, clinic: str, doctors: list[str], first_day: int, windows: int
) -> list[tuple[str, str, str]]:
    """(startsAt, doctorId, locationId) of free slots in ``windows`` 31-day windows, by time."""
    today = datetime.now(UTC).date()
    found = []
    for doctor in doctors:
        for window in range(windows):
            since = today + timedelta(days=first_day + 31 * window)
            answer = await client.get(
                f"/api/v1/clinics/{clinic}/doctors/{doctor}/availability",
                params={"from": since.isoformat(), "to": (since + timedelta(days=31)).isoformat()},
            )
            for slot in answer.json()["slots"]:
                if slot["locationId"]:
                    found.append((slot["startsAt"], doctor, slot["locationId"]))
    return sorted(found)


async def touch(client: httpx.AsyncClient, prefix: str, suffixes: list[str]) -> None:
    """GET each path once (32 at a time), every answer a 200."""
    for start in range(0, len(suffixes), 32):
        answers = await asyncio.gather(*(client.get(prefix + s) for s in suffixes[start : start + 32]))
        if bad := [a.status_code for a in answers if a.status_code != 200]:
            raise RuntimeError(f"warming {prefix}: {bad[:5]}")


def bodies(clinic: str, slots: list[tuple[str, str, str]], patients: list[str]) -> Iterator[str]:
    """Booking bodies; a patient comes round again only after every other (no overlap of theirs)."""
    for index, (start, doctor, location) in enumerate(slots):
        yield json.dumps(
            {
                "clinicId": clinic,
                "locationId": location,
                "doctorId": doctor,
                "patientId": patients[index % len(patients)],
                "startsAt": start,
            }
        )


# -- the run -------------------------------------------------------------------------------------
async def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    quick = args.quick
    seconds = args.seconds or (1.5 if quick else 10.0)
    warmup = 0.5 if quick else 2.0
    result: dict[str, Any] = {
        "quick": quick,
        "seconds_per_cell": seconds,
        "workers": args.workers,
        "connections": args.connections,
        "client": args.client,
    }
    load = http_load.Load(
        workdir, seconds=seconds, warmup=warmup, connections=args.connections, client=args.client
    )
    async with database() as url:
        env = environment(url, free_port(), args.workers)
        started = time.perf_counter()
        run_cli(env, workdir, "migrate")
        size = ("2", "30", "4", "2") if quick else ("20", "1000", "14", "7")
        seeded = run_cli(
            env, workdir, "seed-demo", "--doctors-per-clinic", size[0], "--patients", size[1],
            "--days", size[2], "--past-days", size[3], "--no-progress",
        )  # fmt: skip
        result["seed"] = seeded.strip().splitlines()[0]
        result["setup_seconds"] = time.perf_counter() - started
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                result["postgresql"] = (await connection.execute(text("SHOW server_version"))).scalar()
            serve = healthcare("serve")
            async with (
                server(serve, env, workdir) as base,
                httpx.AsyncClient(
                    base_url=base, timeout=30, limits=httpx.Limits(max_connections=128)
                ) as client,
            ):
                token, *_ = await sign_in(client, engine, RECEPTION)
                client.headers["Authorization"] = f"Bearer {token}"
                clinic = (await client.get("/api/v1/clinics")).json()["items"][0]["id"]
                doctors = [
                    d["id"] for d in (await client.get(f"/api/v1/clinics/{clinic}/doctors")).json()["items"]
                ]
                seen = await appointments(client, clinic, 3 if quick else 20)
                ids = [a["id"] for a in seen]
                patient_ids = sorted({a["patientId"] for a in seen})
                # The seeder's addresses (cli_seed.py): patients 1..N of clinic 1, seed 1.
                patient_emails = [f"patient.1.{n}.s1@seed.demo.clinic" for n in range(1, int(size[1]) + 1)]
                now = datetime.now(UTC).isoformat()
                changeable = [a["id"] for a in seen if a["status"] == "BOOKED" and a["startsAt"] > now]
                result["appointments_read"] = len(ids)
                wrk_slots = await free_slots(client, clinic, doctors, 40, 1 if quick else 2)
                mix_slots = await free_slots(client, clinic, doctors, 200, 1)
                random.Random(1).shuffle(ids)
                hot = ids[:500]  # the warm rows read each of these once first, so every one is cached
                get_path = "/api/v1/appointments/"
                await touch(client, get_path, hot)
                result["get_warm"] = await load.get(base, token, get_path, hot)
                result["post"] = await load.post(
                    base, token, "/api/v1/appointments", list(bodies(clinic, wrk_slots, patient_ids))
                )
                result["post"]["slots_offered"] = len(wrk_slots)
                day = http_load.Day(
                    client=client,
                    sign_in=lambda email: sign_in(client, engine, email),
                    clinic=clinic,
                    doctors=doctors,
                    ids=ids,
                    changeable=changeable,
                    bookings=bodies(clinic, mix_slots, patient_ids),
                    emails=patient_emails,
                )
                result["mix_peak"] = await day.closed_loop(seconds=seconds, concurrency=args.connections)
                rate = result["mix_peak"]["operations_per_second"] / 2
                result["mix"] = await day.fixed_rate(rate=rate, seconds=seconds * (2 if not quick else 1))
            cold_env = {**env, "CACHE_ENABLED": "false", "APP_PORT": str(free_port())}
            async with server(serve, cold_env, workdir) as base:
                result["get_cold"] = await load.get(base, token, get_path, hot)
            plain_env = {**env, "APP_PORT": str(free_port())}
            async with server(bench_app("without_claims_cache", plain_env), plain_env, workdir) as base:
                async with httpx.AsyncClient(base_url=base, headers=client.headers, timeout=30) as other:
                    await touch(other, get_path, hot)
                result["get_warm_no_claims_cache"] = await load.get(base, token, get_path, hot)
            bare_env = {**env, "APP_PORT": str(free_port())}
            async with server(bench_app("ceiling", bare_env), bare_env, workdir, ready="/ceiling") as base:
                result["ceiling"] = await load.get(base, None, "/ceiling", [""])
            raw_env = {**env, "APP_PORT": str(free_port()), "BENCH_RAW_DSN": url.replace("+asyncpg", "")}
            raw_path = f"/raw/{clinic}/"
            async with server(
                bench_app("hand_written", raw_env), raw_env, workdir, ready=raw_path + ids[0]
            ) as base:
                result["hand_written"] = await load.get(base, None, raw_path, hot)
        finally:
            await engine.dispose()
    result["jwt"] = http_load.jwt_costs(quick)
    return result


def machine(result: dict[str, Any]) -> dict[str, Any]:
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), platform.processor()
    )
    libraries = ("litestar", "granian", "msgspec", "sqlalchemy", "asyncpg", "redis", "pyjwt", "httpx")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(),
        "python": platform.python_version(),
        **{name: version(name) for name in libraries},
        "postgresql": result.get("postgresql"),
        "redis-server": redis_version(),
        "load_client": http_load.version(result["client"]),
    }


def redis_version() -> str:
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2)
    try:
        return str(client.info("server")["redis_version"])
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short cells: a ~30 s smoke run")
    parser.add_argument("--seconds", type=float, help="per measured cell (default 10; 1.5 with --quick)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections (default 32)")
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="the throughput rows' load: wrk, the Python asyncio client, or wrk when installed (default)",
    )
    args = parser.parse_args()
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install -y wrk); leave out --client for the Python client")
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / NAME
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = asyncio.run(bench(args, workdir))
    shutil.rmtree(workdir, ignore_errors=True)  # kept after a failure: the server logs are in it
    result["machine"] = machine(result)
    result["total_seconds"] = time.perf_counter() - started
    result["rows"] = print_report(result)
    out = ROOT / "bench" / "results" / ("http-quick.json" if args.quick else "http.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

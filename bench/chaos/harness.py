"""What every chaos scenario stands on: a throwaway PostgreSQL database (migrated with a restricted
app role, dropped afterwards), a private ``redis-server`` on a free port (never the shared one: a
scenario kills and freezes it), the real ``healthcare serve`` / ``healthcare worker`` processes on
the production profile, a load recorder, a /metrics reader and the result with its checks.

Everything a scenario starts is stopped, and everything it creates removed, on success and on
failure alike; the run's directory with the process logs is removed by the caller (``tidy``)
unless a check failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from processes import base_env, free_port
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql.engine import EngineOptions, create_engine
from adapters.sql.migrate import migrate
from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from entrypoints.bootstrap import as_system
from entrypoints.config import load_settings
from entrypoints.ioc.profiles import build_container

DATABASE_URL = os.environ.get(
    "CHAOS_DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)
KEY_RING = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
SECRETS = {
    "JWT_SECRET": "chaos-" + "x" * 40,
    "SECURITY_PHI_ENCRYPTION_KEY": KEY_RING,
    "SECURITY_BLIND_INDEX_KEY": "b" * 40,
    "SECURITY_AUDIT_KEY": "a" * 40,
    "SECURITY_OTP_HASH_KEY": "o" * 40,
}
WHATSAPP = {  # the fake Graph API's defaults (tests/fakes/graph_api.py)
    "WHATSAPP_ENABLED": "true",
    "WHATSAPP_ACCESS_TOKEN": "test-token",
    "WHATSAPP_PHONE_NUMBER_ID": "1234567890",
    "WHATSAPP_APP_SECRET": "fake-app-secret",
    "WHATSAPP_WEBHOOK_VERIFY_TOKEN": "verify-me",
}
OPERATOR = "chaos.operator@clinic.example"
UNLIMITED = "1000000"


class Unavailable(Exception):
    """PostgreSQL or redis-server is missing: the scenario cannot run here."""


# -- the result ----------------------------------------------------------------------------------
@dataclass
class Check:
    criterion: str
    passed: bool
    detail: str


@dataclass
class Result:
    scenario: str
    figures: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    workdir: str = ""

    def check(self, criterion: str, passed: bool, detail: object = "") -> None:
        self.checks.append(Check(criterion, bool(passed), str(detail)))

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def explain(self) -> str:
        failed = [f"{c.criterion}: {c.detail}" for c in self.checks if not c.passed]
        return f"{self.scenario} failed: {failed}; figures {self.figures}; logs in {self.workdir}"


# -- the database, Redis and the processes -------------------------------------------------------
@dataclass(frozen=True)
class Database:
    url: str
    role: str
    host: str
    port: int


@contextlib.asynccontextmanager
async def database(tag: str) -> AsyncIterator[Database]:
    base = make_url(DATABASE_URL)
    name = f"chaos_{tag}_{uuid.uuid4().hex[:10]}"
    role = f"{name}_app"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT", connect_args={"timeout": 5})
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        await admin.dispose()
        raise Unavailable(f"PostgreSQL unreachable at {base.host}:{base.port}: {exc}") from exc
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_engine(EngineOptions(url=url))
        try:
            await migrate(engine, app_role=role, grant_to=base.username)
        finally:
            await engine.dispose()
        yield Database(url=url, role=role, host=base.host or "127.0.0.1", port=base.port or 5432)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        await admin.dispose()


class PrivateRedis:
    """A ``redis-server`` of the scenario's own on a free port, without persistence: it can be
    killed (-9), restarted on the same port, frozen (SIGSTOP) and thawed."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.frozen = False

    async def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            raise Unavailable("redis-server is not installed")
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(  # noqa: ASYNC220 - a server started once per phase
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        await until(self.answers, 10, "the private redis-server to answer")
        return self

    async def answers(self) -> bool:
        client = Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            return bool(await client.ping())
        except Exception:
            return False
        finally:
            await client.aclose()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            if self.frozen:
                self.thaw()
            self.process.kill()
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.process is not None and self.frozen:
            self.process.send_signal(signal.SIGCONT)
            self.frozen = False


class Processes:
    """``healthcare serve`` and ``healthcare worker`` processes of one scenario, each with its own
    log; all stopped (SIGTERM, then SIGKILL) when the scenario ends."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env
        self.started: dict[str, subprocess.Popen[str]] = {}

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def start(self, name: str, command: str, **env: str) -> subprocess.Popen[str]:
        tmp = self.workdir / name
        tmp.mkdir(exist_ok=True)
        with (self.workdir / f"{name}.log").open("a") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", command],
                cwd=self.workdir,
                env={**self.env, "TMPDIR": str(tmp), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.started[name] = process
        return process

    def alive(self, name: str) -> None:
        if self.started[name].poll() is not None:
            raise RuntimeError(f"{name} exited: {self.log(name)[-2000:]}")

    async def serve(self, name: str = "api", **env: str) -> str:
        port = free_port()
        self.start(name, "serve", APP_PORT=str(port), **env)
        url = f"http://127.0.0.1:{port}"

        async def ready() -> bool:
            self.alive(name)
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    return (await client.get(f"{url}/health/ready")).status_code == 200
            except httpx.HTTPError:
                return False

        await until(ready, 60, f"{name} to be ready")
        return url

    async def worker(self, name: str = "worker", **env: str) -> subprocess.Popen[str]:
        process = self.start(name, "worker", **env)

        async def turned() -> bool:
            self.alive(name)
            return (self.workdir / name / "worker-alive").exists()

        await until(turned, 60, f"{name} to make its first turn")
        return process

    async def stop_all(self, grace: float = 20) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds. Waits without blocking the loop: a fault
        proxy in this loop may carry the processes' last words to their database."""
        for process in self.started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while any(p.poll() is None for p in self.started.values()) and time.monotonic() < deadline:  # noqa: ASYNC110 - polling child processes
            await asyncio.sleep(0.05)
        for process in self.started.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    def tracebacks(self) -> list[str]:
        return [name for name in self.started if "Traceback" in self.log(name)]


@dataclass
class Stack:
    """One scenario's world: ``env`` is what the processes get (``DATABASE_URL`` may point at a
    fault proxy), ``direct_env`` the same settings with the database reached directly."""

    workdir: Path
    db: Database
    redis: PrivateRedis
    env: dict[str, str]
    direct_env: dict[str, str]
    processes: Processes


@contextlib.asynccontextmanager
async def stack(
    tag: str, result: Result, *, database_url: Callable[[Database], str] | None = None, **settings: str
) -> AsyncIterator[Stack]:
    """A database, a private Redis and a process table for scenario ``tag``; ``database_url``
    maps the database to the URL the processes use (a fault proxy's)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"chaos-{tag}-"))
    result.workdir = str(workdir)
    processes: Processes | None = None
    redis = PrivateRedis(workdir)
    try:
        await redis.start()
        async with database(tag) as db:
            direct = base_env(
                workdir,
                APP_PROFILE="production",
                APP_ENV="staging",
                APP_WORKERS="1",
                DATABASE_URL=db.url,
                DATABASE_APP_ROLE=db.role,
                CACHE_PROVIDER="redis",
                CACHE_HOST="127.0.0.1",
                CACHE_PORT=str(redis.port),
                CACHE_DB="0",
                CACHE_KEY_PREFIX=f"chaos-{tag}",
                LOGGING_LEVEL="WARNING",
                JWT_ACCESS_TTL_MINUTES="240",
                RATE_LIMIT_REQUESTS_PER_MINUTE=UNLIMITED,
                RATE_LIMIT_USER_REQUESTS_PER_MINUTE=UNLIMITED,
                RATE_LIMIT_CLINIC_REQUESTS_PER_MINUTE=UNLIMITED,
                APP_OUTBOX_POLL_SECONDS="0.1",
                **SECRETS,
                **settings,
            )
            env = {**direct, "DATABASE_URL": database_url(db) if database_url else db.url}
            processes = Processes(workdir, env)
            try:
                yield Stack(workdir, db, redis, env, direct, processes)
            finally:
                await processes.stop_all()
                crashed = processes.tracebacks()
                if crashed:
                    result.figures["tracebacks_in"] = crashed
    except BaseException:
        print(f"chaos {tag}: logs kept in {workdir}", file=sys.stderr)
        raise
    finally:
        redis.kill()


def tidy(result: Result, *, keep: bool) -> None:
    """Remove the scenario's directory (process logs) unless ``keep``: a failure's logs stay."""
    if not keep and result.workdir:
        shutil.rmtree(result.workdir, ignore_errors=True)


async def operator_headers(stack: Stack) -> dict[str, str]:
    """A super admin (made here) and a bearer header for it, through a container of our own."""
    settings = load_settings(stack.direct_env, base_dir=stack.workdir, in_container=False)
    container = build_container(settings)
    try:
        async with container() as request:
            await as_system(request)
            await (await request.get(CreateSuperAdmin))(CreateSuperAdminCommand(email=OPERATOR, name="Chaos"))
            issued = await (await request.get(IssueOperatorToken))(
                IssueOperatorTokenCommand(email=OPERATOR, ttl_minutes=240)
            )
            return {"Authorization": f"Bearer {issued.token}"}
    finally:
        await container.close()


async def created(client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    response = await client.post(path, json=body, headers=headers)
    if response.status_code != 201:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
    return str(response.json()["id"])


# -- waiting, load, metrics ----------------------------------------------------------------------
async def until(condition: Callable[[], Awaitable[bool]], deadline: float, what: str) -> float:
    """Poll ``condition`` until it holds; returns the seconds it took; raises after ``deadline``."""
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > deadline:
            raise TimeoutError(f"timed out after {deadline}s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@dataclass
class Sample:
    kind: str
    started: float  # monotonic
    seconds: float
    status: int  # 0: no answer within the client's deadline, or the connection failed
    retry_after: str | None


class Recorder:
    """Requests made through it are timed and kept; a request the client gave up on (``deadline``
    seconds) is status 0."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.samples: list[Sample] = []

    async def request(self, kind: str, method: str, url: str, **options: Any) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response: httpx.Response | None = await self.client.request(method, url, **options)
        except httpx.HTTPError:
            response = None
        status = response.status_code if response is not None else 0
        retry_after = response.headers.get("retry-after") if response is not None else None
        self.samples.append(Sample(kind, started, time.monotonic() - started, status, retry_after))
        return response

    def between(self, start: float, end: float, kind: str | None = None) -> list[Sample]:
        return [s for s in self.samples if start <= s.started < end and (kind is None or s.kind == kind)]


async def drive(one: Callable[[int], Awaitable[None]], concurrency: int, stop: asyncio.Event) -> None:
    """Run ``concurrency`` loops of ``one(n)`` until ``stop`` is set."""

    async def loop(lane: int) -> None:
        n = lane
        while not stop.is_set():
            await one(n)
            n += concurrency

    await asyncio.gather(*(loop(lane) for lane in range(concurrency)))


def statuses(samples: list[Sample]) -> dict[int, int]:
    return dict(sorted(Counter(s.status for s in samples).items()))


def latency(samples: list[Sample]) -> dict[str, float]:
    if not samples:
        return {"n": 0}
    ordered = sorted(s.seconds * 1000 for s in samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
        "max_ms": round(ordered[-1], 1),
    }


async def scrape(client: httpx.AsyncClient, url: str) -> dict[str, float]:
    """/metrics as {'name{labels}': value}."""
    response = await client.get(f"{url}/metrics", timeout=5)
    found: dict[str, float] = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def breaker_state(metrics: dict[str, float]) -> str:
    for state in ("closed", "open", "half_open", "none"):
        if metrics.get(f'cache_breaker_state{{state="{state}"}}') == 1.0:
            return state
    return "unknown"


def lookups(metrics: dict[str, float]) -> tuple[float, float]:
    """(hits in L1 or L2, all lookups) so far."""

    def get(result: str) -> float:
        return metrics.get(f'cache_lookups_total{{result="{result}"}}', 0.0)

    hits = get("l1_hit") + get("l2_hit")
    return hits, hits + get("miss")


def hit_ratio(before: dict[str, float], after: dict[str, float]) -> float:
    hits = lookups(after)[0] - lookups(before)[0]
    total = lookups(after)[1] - lookups(before)[1]
    return round(hits / total, 3) if total else 0.0


async def sql_rows(url: str, sql: str, **params: Any) -> list[Any]:
    """Rows of ``sql`` read directly (as the migrating user, so row-level security does not hide
    any clinic's rows)."""
    engine = create_async_engine(url, connect_args={"timeout": 5})
    try:
        async with engine.connect() as connection:
            return list(await connection.execute(text(sql), params))
    finally:
        await engine.dispose()

"""A production deployment made of real processes on loopback, for e2e tests: a database of its
own on the real PostgreSQL, a key prefix of its own on the real Redis (both removed afterwards),
and any number of ``healthcare serve`` and ``healthcare worker`` processes sharing them (a clinic
is seeded through the API by tests/e2e/live_clinic.py).

    async with deployment(tmp_path, WHATSAPP_ENABLED="true", ...) as d:
        with d.processes() as run:
            a, b = run.apis("a", "b")             # ready when returned
            run.workers("w1", "w2")                # each has made a turn when returned
            world = await seed(a.url, d, people=[...])   # live_clinic
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from processes import base_env, free_port
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "http"))
from http_api import PRODUCTION_SECRETS, production_database

from adapters.sql.outbox_records import OUTBOX
from cache_support import delete_prefixed, new_prefix, reachable_redis, redis_address
from entrypoints.config import Settings

# A fake Graph API's coordinates (tests/fakes/graph_api.py defaults) as settings.
WHATSAPP = {
    "WHATSAPP_ENABLED": "true",
    "WHATSAPP_ACCESS_TOKEN": "test-token",
    "WHATSAPP_PHONE_NUMBER_ID": "1234567890",
    "WHATSAPP_APP_SECRET": "fake-app-secret",
    "WHATSAPP_WEBHOOK_VERIFY_TOKEN": "verify-me",
}


@dataclass
class Deployment:
    settings: Settings  # for containers of the test's own (tokens)
    env: dict[str, str]  # for the processes
    workdir: Path

    @contextlib.contextmanager
    def processes(self) -> Iterator[Processes]:
        running = Processes(self)
        try:
            yield running
        finally:
            running.stop_all()


@contextlib.asynccontextmanager
async def deployment(tmp_path: Path, **extra: str) -> AsyncIterator[Deployment]:
    """Production settings on a fresh database and a fresh Redis key prefix. Skips when PostgreSQL
    or Redis is unreachable, except under CI=true."""
    redis = await reachable_redis()
    prefix = new_prefix()
    host, port, db = redis_address()
    shared = {
        "CACHE_HOST": host,
        "CACHE_PORT": str(port),
        "CACHE_DB": str(db),
        "CACHE_KEY_PREFIX": prefix,
        "APP_OUTBOX_POLL_SECONDS": "0.1",
        **extra,
    }
    try:
        async with production_database(tmp_path, **shared) as settings:
            env = base_env(
                tmp_path,
                APP_PROFILE="production",
                APP_WORKERS="1",
                DATABASE_URL=settings.database.url,
                DATABASE_APP_ROLE=settings.database.app_role,
                LOGGING_LEVEL="INFO",
                **PRODUCTION_SECRETS,
                **shared,
            )
            yield Deployment(settings=settings, env=env, workdir=tmp_path)
    finally:
        await delete_prefixed(redis, prefix)
        await redis.aclose()


@dataclass
class Api:
    name: str
    url: str
    process: subprocess.Popen[str]


@dataclass
class Processes:
    """The processes of a deployment: started in parallel, waited on with deadlines, stopped with
    SIGTERM (killed when they do not stop)."""

    deployment: Deployment
    started: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

    def log(self, name: str) -> str:
        return (self.deployment.workdir / f"{name}.log").read_text()

    def _start(self, name: str, command: str, **env: str) -> subprocess.Popen[str]:
        tmp = self.deployment.workdir / name
        tmp.mkdir()
        with (self.deployment.workdir / f"{name}.log").open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", command],
                cwd=self.deployment.workdir,
                env={**self.deployment.env, "TMPDIR": str(tmp), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.started[name] = process
        return process

    def _alive(self, name: str) -> None:
        if self.started[name].poll() is not None:
            raise AssertionError(f"{name} exited: {self.log(name)[-3000:]}")

    def apis(self, *names: str) -> list[Api]:
        apis = []
        for name in names:
            port = free_port()
            process = self._start(name, "serve", APP_PORT=str(port))
            apis.append(Api(name, f"http://127.0.0.1:{port}", process))

        def ready(api: Api) -> bool:
            self._alive(api.name)
            try:
                return httpx.get(f"{api.url}/health/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(lambda: all(ready(api) for api in apis), 60, f"{', '.join(names)} to be ready")
        return apis

    def workers(self, *names: str) -> None:
        for name in names:
            self._start(name, "worker")

        def turned(name: str) -> bool:
            self._alive(name)
            return (self.deployment.workdir / name / "worker-alive").exists()

        wait_until(lambda: all(turned(name) for name in names), 60, f"{', '.join(names)} to run")

    def stop_all(self) -> None:
        for process in self.started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def assert_clean_logs(self) -> None:
        for name in self.started:
            assert "Traceback" not in self.log(name), self.log(name)[-3000:]


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


async def eventually(condition: Any, what: str, within: float = 20) -> None:
    """Wait for ``condition()`` (a function, sync or async) to be true, with a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = condition()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.05)


async def outbox_rows(d: Deployment) -> list[dict[str, Any]]:
    """Every outbox row as the database holds it (read as the owner: no row-level security)."""
    engine = create_async_engine(d.settings.database.url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(OUTBOX).order_by(OUTBOX.c.created_at))
            return [dict(row._mapping) for row in rows]
    finally:
        await engine.dispose()

"""A production deployment made of real processes on loopback, for e2e tests: a database of its
own on the real PostgreSQL, a key prefix of its own on the real Redis (both removed afterwards),
any number of ``healthcare serve`` and ``healthcare worker`` processes sharing them, and a clinic
seeded through the API.

    async with deployment(tmp_path, WHATSAPP_ENABLED="true", ...) as d:
        with d.processes() as run:
            a, b = run.apis("a", "b")             # ready when returned
            run.workers("w1", "w2")                # each has made a turn when returned
            world = await seed(a.url, d, patients=[...])
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock_time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from processes import base_env, free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "http"))
from cache_support import delete_prefixed, new_prefix, reachable_redis, redis_address
from http_api import PRODUCTION_SECRETS, production_database

from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from entrypoints.bootstrap import as_system
from entrypoints.config import Settings
from entrypoints.ioc.profiles import build_container

ZONE = ZoneInfo("Europe/Berlin")
OPERATOR = "ops@clinic.example"
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


# Seeding ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    name: str
    phone: str | None
    email: str | None
    whatsapp: bool  # grants the whatsapp_notifications consent


@dataclass
class World:
    """A clinic in Berlin with one location, ``doctors`` working every day 08:00-20:00 in 30-minute
    slots, a receptionist (``desk``), a clinic admin, and ``patients`` (ids, as ``people``)."""

    clinic: str
    clinic_name: str
    location: str
    doctors: list[str]
    patients: list[str]
    root: dict[str, str]
    admin: dict[str, str]
    desk: dict[str, str]
    day: date  # three days ahead: every reminder of that day is still to come

    def at(self, hh: int, mm: int = 0, *, day: date | None = None) -> datetime:
        return datetime.combine(day or self.day, clock_time(hh, mm), tzinfo=ZONE)

    def booking(self, starts: datetime, *, patient: int = 0, doctor: int = 0, **extra: Any) -> dict[str, Any]:
        return {
            "clinicId": self.clinic,
            "locationId": self.location,
            "doctorId": self.doctors[doctor],
            "patientId": self.patients[patient],
            "startsAt": utc_text(starts),
            **extra,
        }


def utc_text(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


async def tokens(settings: Settings, *emails: str, operator: bool = False) -> list[dict[str, str]]:
    """Bearer headers for existing users (and the super admin ``OPERATOR``, made first when
    ``operator``), issued through a container of the test's own."""
    container = build_container(settings)
    try:
        async with container() as request:
            await as_system(request)
            if operator:
                await (await request.get(CreateSuperAdmin))(CreateSuperAdminCommand(email=OPERATOR, name="Ops"))
            issue = await request.get(IssueOperatorToken)
            found = []
            for email in emails:
                issued = await issue(IssueOperatorTokenCommand(email=email))
                found.append({"Authorization": f"Bearer {issued.token}"})
            return found
    finally:
        await container.close()


async def seed(url: str, d: Deployment, *, people: list[Person], doctors: int = 1) -> World:
    """Everything through the API at ``url``."""
    (root,) = await tokens(d.settings, OPERATOR, operator=True)
    tag = f"{time.time_ns()}"
    name = f"Spree Clinic {tag[-6:]}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def ok(response: httpx.Response, status: int = 201) -> Any:
            assert response.status_code == status, response.text
            return response.json()

        clinic = (await ok(await client.post("/api/v1/clinics", json={"name": name, "timeZone": ZONE.key}, headers=root)))["id"]
        base = f"/api/v1/clinics/{clinic}"
        location = (
            await ok(await client.post(f"{base}/locations", json={"name": "Main", "address": "1 Spree"}, headers=root))
        )["id"]

        async def member(email: str, role: str) -> str:
            user = await ok(await client.post("/api/v1/users", json={"name": role.title(), "email": email}, headers=root))
            await ok(await client.post(f"{base}/members", json={"userId": user["id"], "role": role}, headers=root))
            return str(user["id"])

        admin_email, desk_email = f"admin.{tag}@clinic.example", f"desk.{tag}@clinic.example"
        await member(admin_email, "CLINIC_ADMIN")
        await member(desk_email, "RECEPTIONIST")
        admin, desk = await tokens(d.settings, admin_email, desk_email)
        doctor_ids = []
        for n in range(doctors):
            doctor = await member(f"doctor{n}.{tag}@clinic.example", "DOCTOR")
            profile = {"userId": doctor, "specialty": "General practice", "licenceNumber": f"L-{n}", "slotMinutes": 30}
            await ok(await client.post(f"{base}/doctors", json=profile, headers=admin))
            week = {
                "hours": [{"locationId": location, "weekday": w, "start": "08:00", "end": "20:00"} for w in range(7)],
                "breaks": [],
            }
            await ok(await client.put(f"{base}/doctors/{doctor}/schedule", json=week, headers=admin), 200)
            doctor_ids.append(doctor)
        patients = []
        for person in people:
            record = {"name": person.name, "dateOfBirth": "1980-05-17"}
            record |= {k: v for k, v in (("phone", person.phone), ("email", person.email)) if v}
            patient = (await ok(await client.post(f"{base}/patients", json=record, headers=desk)))["id"]
            if person.whatsapp:
                consent = {"scope": "whatsapp_notifications"}
                await ok(await client.post(f"{base}/patients/{patient}/consents", json=consent, headers=desk))
            patients.append(patient)
    day = datetime.now(ZONE).date() + timedelta(days=3)
    return World(clinic, name, location, doctor_ids, patients, root, admin, desk, day)

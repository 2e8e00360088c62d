"""What a process does once its container is built: migrate and seed where the profile says so."""

from __future__ import annotations

import sys
from uuid import UUID

from dishka import AsyncContainer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.migrate import migrate
from application.demo.demo_plan import ClinicTarget, DemoSize, Naming, plan_clinics
from application.demo.seed_clinical_demo import SeedClinicalDemo
from application.demo.seed_demo_data import DEMO_TIME_ZONE, DemoData, SeedDemoData
from application.ports.clock import Clock
from application.ports.tenancy import TenantScope
from entrypoints.config import Settings
from entrypoints.config.fields import AppEnv
from entrypoints.ioc.profiles import PROFILES


async def as_system(request: AsyncContainer) -> None:
    """Widen a request scope to every clinic: for the operator CLI and start-up work, which act
    as the system itself, never for a client's request."""
    await (await request.get(TenantScope)).apply(user_id=None, clinic_ids=None)


async def prepare_store(container: AsyncContainer, settings: Settings) -> DemoData | None:
    """Migrate (embedded) and seed demo data into an empty store (embedded, memory) when the
    settings allow. Returns the demo data when it was just seeded."""
    spec = PROFILES[settings.app.profile]
    if spec.migrate_on_start:
        await migrate(await container.get(AsyncEngine), app_role=settings.database.app_role or None)
    if not (spec.seed_on_start and settings.app.seed_demo_data):
        return None
    async with container() as request:
        await as_system(request)
        seeded = await (await request.get(SeedDemoData))()
        # Tests (APP_ENV=test) start from the bare demo clinic: they count what they create.
        clinical = seeded is not None and settings.app.env is not AppEnv.TEST
        if clinical and seeded is not None:
            await _seed_small_clinical_set(request, seeded)
    if seeded is not None:
        # A banner for the person at the terminal, not a log line: the log redacts addresses.
        extra = (
            f" It has {FIRST_START.doctors_per_clinic} doctors ({DEMO_NAMING.email('doctor', 1, 1)}...), "
            f"{FIRST_START.patients} patients ({DEMO_NAMING.email('patient', 1, 1)}...) and their "
            "appointments and prescriptions."
            if clinical
            else ""
        )
        print(
            f"Demo data loaded: super admin {seeded.super_admin_email}, clinic {seeded.clinic_id} "
            f"(admin {seeded.clinic_admin_email}).{extra}\nGet a token with: "
            f"healthcare auth token --email {seeded.super_admin_email}",
            file=sys.stderr,
            flush=True,
        )
    return seeded


# The first start's clinical set: small, so that `make run` is ready in a moment.
FIRST_START = DemoSize(clinics=1, doctors_per_clinic=3, patients=20, days=7, past_days=3)
DEMO_NAMING = Naming(domain="demo.clinic")


async def _seed_small_clinical_set(request: AsyncContainer, seeded: DemoData) -> None:
    """Doctors, patients, appointments and prescriptions in the demo clinic just created."""
    target = ClinicTarget(
        id=UUID(seeded.clinic_id), time_zone=DEMO_TIME_ZONE, location_ids=(UUID(seeded.location_id),)
    )
    now = (await request.get(Clock)).now()
    plans = plan_clinics(FIRST_START, seed=1, now=now, naming=DEMO_NAMING, targets=[target])
    await (await request.get(SeedClinicalDemo))(plans)

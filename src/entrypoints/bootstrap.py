"""What a process does once its container is built: migrate and seed where the profile says so."""

from __future__ import annotations

import sys

from dishka import AsyncContainer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.migrate import migrate
from application.demo.seed_demo_data import DemoData, SeedDemoData
from application.ports.tenancy import TenantScope
from entrypoints.config import Settings
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
    if seeded is not None:
        # A banner for the person at the terminal, not a log line: the log redacts addresses.
        print(
            f"Demo data loaded: super admin {seeded.super_admin_email}, clinic {seeded.clinic_id} "
            f"(admin {seeded.clinic_admin_email}).\nGet a token with: "
            f"healthcare auth token --email {seeded.super_admin_email}",
            file=sys.stderr,
            flush=True,
        )
    return seeded

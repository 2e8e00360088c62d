"""What a process does once its container is built: migrate and seed where the profile says so."""

from __future__ import annotations

import logging

from dishka import AsyncContainer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.migrate import migrate
from application.demo.seed_demo_data import DemoData, SeedDemoData
from entrypoints.config import Settings
from entrypoints.ioc.profiles import PROFILES

logger = logging.getLogger(__name__)


async def prepare_store(container: AsyncContainer, settings: Settings) -> DemoData | None:
    """Migrate (embedded) and seed demo data into an empty store (embedded, memory) when the
    settings allow. Returns the demo data when it was just seeded."""
    spec = PROFILES[settings.app.profile]
    if spec.migrate_on_start:
        await migrate(await container.get(AsyncEngine))
    if not (spec.seed_on_start and settings.app.seed_demo_data):
        return None
    async with container() as request:
        seeded = await (await request.get(SeedDemoData))()
    if seeded is not None:
        logger.warning(
            "Demo data loaded: super admin %s, clinic %s (admin %s). Get a token with: "
            "healthcare auth token --email %s",
            seeded.super_admin_email,
            seeded.clinic_id,
            seeded.clinic_admin_email,
            seeded.super_admin_email,
        )
    return seeded

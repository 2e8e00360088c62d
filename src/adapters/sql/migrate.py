"""Bringing a database's schema up to date with the Alembic migrations in this package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Tables the application role may only read and append to (the audit trail).
APPEND_ONLY_TABLES: tuple[str, ...] = ("audit_entries",)


def alembic_config(connection: Connection | None = None, app_role: str | None = None) -> Config:
    """An Alembic Config built in code (no alembic.ini); env.py migrates ``connection``."""
    config = Config()
    # configparser interpolates "%": a path holding one must be escaped.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    config.attributes["app_role"] = app_role
    return config


async def migrate(engine: AsyncEngine, *, app_role: str | None = None, grant_to: str | None = None) -> None:
    """Upgrade the database behind ``engine`` to the newest revision (a no-op when it is there),
    as the tables' owner. On PostgreSQL with ``app_role``: create that role, give it exactly the
    rights the application needs (no UPDATE or DELETE on append-only tables, nothing on the
    migration bookkeeping), and let the login role ``grant_to`` (the DATABASE_URL user) act as it."""
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync, app_role), "heads"))
        if app_role and connection.dialect.name == "postgresql":
            await connection.run_sync(lambda sync: _grant(sync, app_role, grant_to))


def _grant(connection: Connection, role: str, grant_to: str | None) -> None:
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    for statement in (
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
        f'REVOKE ALL ON "{schema}".alembic_version FROM "{role}"',
        *(f'REVOKE UPDATE, DELETE ON "{schema}".{table} FROM "{role}"' for table in APPEND_ONLY_TABLES),
    ):
        connection.execute(text(statement))
    if grant_to and grant_to != role:
        connection.execute(text(f'GRANT "{role}" TO "{grant_to}"'))


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The revisions the database is at (one per branch head), empty before the first migration."""
    async with engine.connect() as connection:
        return frozenset(
            await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
        )

"""The Alembic migrations build exactly the schema the Records describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from adapters.sql.migrate import alembic_config, current_revision, migrate
from adapters.sql.records import Base


def _differences(connection):
    return compare_metadata(MigrationContext.configure(connection), Base.metadata)


async def test_migrating_twice_is_harmless_and_reaches_head(sql_engine):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await current_revision(sql_engine) is None

    await migrate(sql_engine)
    await migrate(sql_engine)

    assert await current_revision(sql_engine) == head


async def test_the_migrated_schema_matches_the_records(sql_engine):
    await migrate(sql_engine)

    async with sql_engine.connect() as connection:
        differences = await connection.run_sync(_differences)

    assert [str(d) for d in differences] == []

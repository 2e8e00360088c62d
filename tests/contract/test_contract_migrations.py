"""The Alembic migrations build exactly the schema the Records describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from adapters.sql.migrate import alembic_config, current_revisions, migrate
from adapters.sql.schema import metadata


def _differences(connection):
    return compare_metadata(MigrationContext.configure(connection), metadata)


async def test_migrating_twice_is_harmless_and_reaches_head(sql_engine):
    heads = frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert await current_revisions(sql_engine) == frozenset()

    await migrate(sql_engine)
    await migrate(sql_engine)

    assert await current_revisions(sql_engine) == heads


async def test_the_migrated_schema_matches_the_records(sql_engine):
    await migrate(sql_engine)

    async with sql_engine.connect() as connection:
        differences = await connection.run_sync(_differences)

    assert [str(d) for d in differences] == []

"""DATABASE_PGBOUNCER=true: the engine leaves no prepared statement behind on a server connection
(PgBouncer in transaction mode would hand that connection to another client, where a cached
statement is missing or its name clashes). Checked on the real PostgreSQL: the same queries,
with and without the option, and what ``pg_prepared_statements`` holds afterwards."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from adapters.sql.engine import EngineOptions, create_engine

pytestmark = pytest.mark.postgres
URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _statements_left(pgbouncer: bool) -> int:
    engine = create_engine(EngineOptions(url=URL, pool_size=1, max_overflow=0, pgbouncer=pgbouncer))
    try:
        async with engine.connect() as connection:
            for n in range(3):
                await connection.execute(select(text(":n + 1")), {"n": n})
                await connection.execute(text("select now()"))
            # (this query, while it runs, is prepared too: it does not count)
            left = "select count(*) from pg_prepared_statements where statement not like '%pg_prepared%'"
            return int(await connection.scalar(text(left)))
    except (OSError, OperationalError, DBAPIError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    finally:
        await engine.dispose()


async def test_through_pgbouncer_no_statement_stays_prepared() -> None:
    assert await _statements_left(pgbouncer=False) > 0  # the default caches them per connection
    assert await _statements_left(pgbouncer=True) == 0


async def test_through_pgbouncer_the_timeout_is_not_a_startup_parameter() -> None:
    engine = create_engine(EngineOptions(url=URL, statement_timeout_ms=1234, pgbouncer=True))
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("show statement_timeout")) != "1234ms"
    finally:
        await engine.dispose()

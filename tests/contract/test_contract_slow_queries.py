"""The slow-query log: fingerprints and durations, never parameters, on SQLite and PostgreSQL.

- SQLite, the whole app with DATABASE_SLOW_QUERY_MS=0 (every statement is "slow"): a request that
  creates and searches for a person by email logs fingerprints, and no value any statement was
  sent (the email, its blind index, the sealed columns...) appears in any log line.
- PostgreSQL: a ``pg_sleep`` over the threshold is logged with its duration, a fast statement is
  not, and a statement cut by the statement timeout is logged as failed.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import EngineOptions, create_engine
from adapters.sql.slow_queries import fingerprint
from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand
from application.demo.seed_demo_data import DEMO_ADMIN_EMAIL
from entrypoints.bootstrap import as_system
from entrypoints.config import load_settings
from entrypoints.http.app import create_app
from entrypoints.ioc.profiles import build_container

LOGGER = "adapters.sql.slow_queries"
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
EMAIL = "ana.secret-person@example.com"
LINE = re.compile(r"^slow query \d+\.\dms( \(failed\))? fp=[0-9a-f]{8} sql=\S")


def _slow_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def test_fingerprint_strips_values_and_is_stable() -> None:
    one = fingerprint("SELECT * FROM users  WHERE email_index = 'abc' AND id IN (1, 2, 3) LIMIT 20")
    two = fingerprint("SELECT * FROM users WHERE email_index = 'zzz'\n AND id IN (7) LIMIT 5")
    assert one[1] == "SELECT * FROM users WHERE email_index = ? AND id IN (?) LIMIT ?"
    assert two == one and len(one[0]) == 8
    assert (
        fingerprint("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)")[1] == "INSERT INTO t (a, b) VALUES (?)"
    )
    assert fingerprint("UPDATE t1 SET n = :n_1 WHERE id = %(id)s")[1] == "UPDATE t1 SET n = ? WHERE id = ?"
    assert fingerprint("SELECT x::text FROM t -- O'Brien\n")[1] == "SELECT x::text FROM t"


async def test_every_statement_is_logged_without_its_parameters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {
        "APP_PROFILE": "embedded",
        "APP_ENV": "test",
        "APP_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_SLOW_QUERY_MS": "0",
    }
    settings = load_settings(environ, base_dir=tmp_path, in_container=False)
    assert settings.database.slow_query_ms == 0
    container = build_container(settings)
    app = create_app(settings, container)
    sent: list[Any] = []

    def remember(
        _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        for row in parameters if many else [parameters]:
            sent.extend(row.values() if isinstance(row, dict) else row or ())

    async with AsyncTestClient(app=app) as client:
        engine = await container.get(AsyncEngine)
        event.listen(engine.sync_engine, "before_cursor_execute", remember)
        async with container() as request:
            await as_system(request)
            issue = await request.get(IssueOperatorToken)
            token = (await issue(IssueOperatorTokenCommand(email=DEMO_ADMIN_EMAIL))).token
        bearer = {"Authorization": f"Bearer {token}"}
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            created = await client.post(
                "/api/v1/users", json={"name": "Ana Secret", "email": EMAIL}, headers=bearer
            )
            assert created.status_code == 201, created.text
            again = await client.post("/api/v1/users", json={"name": "Ana", "email": EMAIL}, headers=bearer)
            assert again.status_code == 409  # found by its email: a search by blind index
            await client.post("/api/v1/auth/request-otp", json={"email": EMAIL, "deliveryMethod": "email"})
        event.remove(engine.sync_engine, "before_cursor_execute", remember)

    lines = _slow_lines(caplog)
    assert lines and all(LINE.match(line) for line in lines), lines
    assert any("INSERT INTO users" in line for line in lines)
    log = "\n".join(lines)
    values = {str(v) for v in sent if isinstance(v, str | bytes) and len(v) >= 6}
    values |= {v.decode(errors="replace") for v in sent if isinstance(v, bytes) and len(v) >= 6}
    assert values, "the statements were sent no parameters: the test proves nothing"
    assert EMAIL not in log and "secret-person" not in log and "Ana Secret" not in log
    assert [v for v in values if v in log] == []


@pytest.mark.postgres
async def test_postgres_logs_a_slow_statement_and_not_a_fast_one(caplog: pytest.LogCaptureFixture) -> None:
    engine = create_engine(EngineOptions(url=DATABASE_URL, slow_query_ms=100, statement_timeout_ms=1000))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # refused, timed out, unknown database
        await engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT :tag, 42"), {"tag": "fast-tag-value"})
                await connection.execute(
                    text("SELECT pg_sleep(:s), :tag"), {"s": 0.15, "tag": "slow-tag-value"}
                )
                with pytest.raises(Exception, match="statement timeout"):
                    await connection.execute(text("SELECT pg_sleep(3), 'timeout-tag-value'"))
        lines = _slow_lines(caplog)
        assert len(lines) == 2, lines
        slow, failed = lines
        assert LINE.match(slow) and "sql=SELECT pg_sleep(?), ?" in slow
        assert float(slow.split()[2].removesuffix("ms")) >= 150
        assert LINE.match(failed) and "(failed)" in failed and "sql=SELECT pg_sleep(?), ?" in failed
        assert "tag-value" not in "\n".join(lines)
    finally:
        await engine.dispose()

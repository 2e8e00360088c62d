"""PostgreSQL only: a link that stops carrying bytes. The client gives up a little after the
statement timeout (asyncpg's command_timeout), the request's error is 503 (not re-run), and the
pool hands out a working connection once the link flows again. (That the broken connection is
dropped without waiting is a matter of seconds, measured by bench/chaos/slow_database.py.)"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import EngineOptions, client_timeout, create_engine, session_factory
from adapters.sql.errors import translated
from cache_support import FaultProxy
from domain.errors import ServiceUnavailable

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class PostgresProxy(FaultProxy):
    """The fault proxy, in front of PostgreSQL."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__()
        self.host, self.target_port = host, port


@pytest.fixture
async def proxied() -> AsyncIterator[tuple[AsyncEngine, PostgresProxy]]:
    url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_DATABASE_URL))
    if url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only")
    address = urlparse(url.render_as_string(hide_password=False).replace("+asyncpg", ""))
    proxy = await PostgresProxy(address.hostname or "127.0.0.1", address.port or 5432).start()
    engine = create_engine(
        EngineOptions(
            url=url.set(port=proxy.port).render_as_string(hide_password=False),
            pool_size=1,
            max_overflow=0,
            statement_timeout_ms=200,
        )
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        await engine.dispose()
        await proxy.close()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield engine, proxy
    await engine.dispose()
    await proxy.close()


def test_the_client_waits_a_margin_past_the_server_timeout_and_forever_without_one() -> None:
    assert client_timeout(1000) == 1.5
    assert client_timeout(0) is None  # statement_timeout 0 is PostgreSQL's "no timeout"


async def test_a_stalled_statement_is_503_and_the_pool_recovers_when_the_link_flows(
    proxied: tuple[AsyncEngine, PostgresProxy],
) -> None:
    engine, proxy = proxied
    sessions = session_factory(engine)
    proxy.freeze()
    async with sessions() as session:
        with pytest.raises(ServiceUnavailable) as refused:
            async with asyncio.timeout(30), translated(session):
                await session.execute(text("SELECT 1"))
    assert refused.value.context == "statement timed out"
    proxy.thaw()
    async with sessions() as session:
        assert (await session.execute(text("SELECT 1"))).scalar() == 1

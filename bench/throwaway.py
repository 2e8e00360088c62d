"""A throwaway PostgreSQL database (and the Redis keys of the run) for one bench run, removed
afterwards whatever happens. Shared by bench/booking.py and bench/http_bench.py."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "15"))


@asynccontextmanager
async def throwaway_database(
    name: str, role: str, *, prepare: Callable[[str], Awaitable[None]] | None = None
) -> AsyncIterator[str]:
    """Yields the URL of a new database ``name``; ``prepare`` (e.g. migrate) runs on it first.
    Afterwards the database, the role ``role`` and the Redis keys starting with ``name`` go."""
    admin = create_async_engine(DATABASE, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(DATABASE).set(database=name).render_as_string(hide_password=False)
    try:
        if prepare is not None:
            await prepare(url)
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        await admin.dispose()
        await clean_redis(name)


async def clean_redis(prefix: str) -> None:
    from redis.asyncio import Redis

    redis = Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_timeout=2)
    try:
        keys = [key async for key in redis.scan_iter(f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 500):
            await redis.delete(*keys[start : start + 500])
    finally:
        await redis.aclose()

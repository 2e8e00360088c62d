"""Building the AsyncEngine and the session factory for PostgreSQL (asyncpg) or SQLite (aiosqlite)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from adapters.sql.replicas import REPLICAS_KEY, ReplicaSet
from adapters.sql.slow_queries import install_slow_query_log
from adapters.sql.tenancy import ROLE_KEY, ScopedSession

APPLICATION_NAME = "clinic-backend"

# WAL lets readers run beside the one writer; busy_timeout makes a second writer wait, not fail.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


# How long past the server's statement_timeout the client still waits: long enough for the
# server's own cancel (a clean error, the connection kept) to arrive first on any sane network,
# short enough that a request over a stalled link answers within the timeout plus a second.
CLIENT_TIMEOUT_MARGIN_SECONDS = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineOptions:
    """Connection settings. The pool settings, timeouts and ``search_path`` apply to PostgreSQL;
    SQLite uses its own pool and only reads ``url`` and ``echo``."""

    url: str
    pool_size: int = 5
    max_overflow: int = 2
    pool_timeout_seconds: float = 5.0
    pool_recycle_seconds: int = 1800
    pool_pre_ping: bool = False  # three round trips per checkout; a dead connection fails its unit instead
    statement_timeout_ms: int = 15_000
    connect_timeout_seconds: float = 5.0
    echo: bool = False
    search_path: str | None = None
    slow_query_ms: float | None = None  # log statements slower than this (None: no slow-query log)
    pgbouncer: bool = False  # connected through PgBouncer in transaction mode: see pgbouncer_connect_args


def create_engine(options: EngineOptions) -> AsyncEngine:
    url = make_url(options.url)
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, options)
    else:
        engine = _postgres_engine(url, options)
    if options.slow_query_ms is not None:
        install_slow_query_log(engine.sync_engine, threshold_ms=options.slow_query_ms)
    return engine


def session_factory(
    engine: AsyncEngine, *, app_role: str | None = None, replicas: ReplicaSet | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions whose transactions run as ``app_role`` under its row-level security policies
    (PostgreSQL; see adapters.sql.tenancy; None keeps the connecting user), reading from
    ``replicas`` when given and not writing (adapters.sql.replicas)."""
    info: dict[str, object] = {ROLE_KEY: app_role or ""}
    if replicas is not None:
        info[REPLICAS_KEY] = replicas
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ScopedSession, info=info)


def pgbouncer_connect_args() -> dict[str, Any]:
    """PgBouncer in transaction mode gives each transaction whichever server connection is free:
    a statement prepared in one may be missing in the next, or clash by name with another
    client's. So no statement is cached (neither asyncpg's cache nor SQLAlchemy's), and the ones
    asyncpg must still prepare get unique names. (The tenant scope is already per transaction:
    ``set_config(..., true)``, see adapters.sql.tenancy.)"""
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": _unique_statement_name,
    }


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid4().hex}__"


def _postgres_engine(url: URL, options: EngineOptions) -> AsyncEngine:
    server_settings = {"application_name": APPLICATION_NAME}
    if not options.pgbouncer:
        # PgBouncer refuses startup parameters it does not track: through it, set the timeout
        # on the login role instead (ALTER ROLE ... SET statement_timeout).
        server_settings["statement_timeout"] = str(options.statement_timeout_ms)
    if options.search_path:
        server_settings["search_path"] = options.search_path
    connect_args: dict[str, Any] = {
        "timeout": options.connect_timeout_seconds,
        # The server's statement_timeout cannot help when the link itself is slow or the server
        # stops answering: the client gives up a little after it (CLIENT_TIMEOUT_MARGIN_SECONDS),
        # so a request never waits on the database much longer than the timeout says.
        "command_timeout": client_timeout(options.statement_timeout_ms),
        "server_settings": server_settings,
    }
    if options.pgbouncer:
        connect_args.update(pgbouncer_connect_args())
    engine = create_async_engine(
        url,
        echo=options.echo,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.pool_timeout_seconds,
        pool_recycle=options.pool_recycle_seconds,
        pool_pre_ping=options.pool_pre_ping,
        connect_args=connect_args,
    )
    event.listen(engine.sync_engine.pool, "invalidate", _abort_invalidated)
    return engine


def client_timeout(statement_timeout_ms: int) -> float | None:
    """asyncpg's command_timeout for a server statement_timeout (0: none, so none here either)."""
    if statement_timeout_ms <= 0:
        return None
    return statement_timeout_ms / 1000 + CLIENT_TIMEOUT_MARGIN_SECONDS


def _abort_invalidated(dbapi_connection: Any, _record: Any, _error: BaseException | None) -> None:
    """An invalidated connection (lost, or timed out client-side) is closed at once, without the
    goodbye SQLAlchemy would otherwise send and wait for (up to 2 s, whatever our timeouts say):
    over a stalled link the request that found it broken would wait that out too. The server
    only logs an unexpected end of file."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and not driver.is_closed():
        driver.terminate()


def _sqlite_engine(url: URL, options: EngineOptions) -> AsyncEngine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=options.echo)
    event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    return engine


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()

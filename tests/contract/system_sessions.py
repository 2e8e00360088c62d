"""SQL sessions as the system (every clinic visible), over a migrated throwaway database: what
most contract suites' SQL fixtures need. Every session opened is closed at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.engine import session_factory
from adapters.sql.migrate import migrate
from adapters.sql.tenancy import SCOPE_KEY
from conftest import _open_engine, app_role_of


@asynccontextmanager
async def system_sessions(backend: str, tmp_path: Path) -> AsyncIterator[Callable[[], AsyncSession]]:
    """Yields a factory of new sessions on ``backend`` ("sqlite" or "postgresql"), each scoped to
    every clinic (the system's scope), as the application role where the backend has one."""
    async with _open_engine(backend, tmp_path) as engine:
        role = app_role_of(engine)
        await migrate(engine, app_role=role)
        make = session_factory(engine, app_role=role)
        opened: list[AsyncSession] = []

        def new_session() -> AsyncSession:
            session = make()
            session.info[SCOPE_KEY] = ("*", "")
            opened.append(session)
            return session

        try:
            yield new_session
        finally:
            for session in opened:
                await session.close()

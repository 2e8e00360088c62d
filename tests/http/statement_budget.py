"""Counting the SQL statements one request issues, on the app's own engine.

    async with count_statements(api.container) as counter:
        with counter.request() as statements:
            await api.client.get(...)
    assert len(statements) <= budget

Only statements issued in the context of ``counter.request()`` are counted: the in-process outbox
relay and other background tasks run in contexts copied before it started, so their polling is
not charged to the request (SQLAlchemy runs the sync events inside a greenlet that shares the
calling task's context variables). Tasks the request itself spawns are charged to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

from dishka import AsyncContainer
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.slow_queries import fingerprint

_recording: ContextVar[list[str] | None] = ContextVar("recording_statements", default=None)


def _record(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
    statements = _recording.get()
    if statements is not None:
        statements.append(statement)


class StatementCounter:
    @contextmanager
    def request(self) -> Iterator[list[str]]:
        """The statements issued inside this block (by this task and tasks it starts)."""
        statements: list[str] = []
        token = _recording.set(statements)
        try:
            yield statements
        finally:
            _recording.reset(token)


@asynccontextmanager
async def count_statements(container: AsyncContainer) -> AsyncIterator[StatementCounter]:
    engine = await container.get(AsyncEngine)
    event.listen(engine.sync_engine, "before_cursor_execute", _record)
    try:
        yield StatementCounter()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", _record)


def describe(statements: list[str]) -> str:
    """The statements as fingerprints (no values), one a line, for a failure message."""
    return "\n".join(f"  {fingerprint(s)[1][:160]}" for s in statements)

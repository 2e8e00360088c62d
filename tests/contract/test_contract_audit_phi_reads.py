"""Entries of PHI reads on SQL: buffered, written within the flush interval, when a batch is full,
and at shutdown; a write that fails keeps its entries for the next one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from audit_backends import SEALER, AuditBackend, open_backend

from adapters.sql.phi_reads import BufferedSqlPhiReadAudit
from application.audit.verify_audit_trail import VerifyAuditTrail
from application.auditing import AuditEntries

SQL = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=SQL)
async def backend(request: pytest.FixtureRequest, tmp_path: Path, clock, ids) -> AsyncIterator[AuditBackend]:
    async with open_backend(request.param, tmp_path, clock, ids) as opened:
        yield opened


async def stored(backend: AuditBackend) -> list[str]:
    entries = await backend.unit().audit.entries(limit=1000)
    await backend.release()
    return [e.resource_id for e in entries]


async def eventually(condition, *, within: float = 10.0) -> None:
    """Wait for ``condition`` (an async predicate), checking it until the deadline."""
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.01)


def reads(clock, ids, count: int, clinic=None):
    entries = AuditEntries(clock, ids)
    return [entries.entry(None, "VIEW_USER", "user", n, clinic_id=clinic) for n in range(count)]


async def test_entries_are_written_within_the_flush_interval(backend: AuditBackend, clock, ids) -> None:
    audit = BufferedSqlPhiReadAudit(backend.sessions, SEALER, interval_seconds=0.05)
    try:
        await audit.record(*reads(clock, ids, 3, clinic=ids.new_id()))
        await audit.record(*reads(clock, ids, 2))

        async def written() -> bool:
            return len(await stored(backend)) == 5

        await eventually(written)
    finally:
        await audit.close()
    report = await VerifyAuditTrail(backend.reader(), SEALER)()
    await backend.release()
    assert (report.faults, report.verified) == ((), 5)


async def test_a_full_batch_is_written_before_the_interval(backend: AuditBackend, clock, ids) -> None:
    audit = BufferedSqlPhiReadAudit(backend.sessions, SEALER, interval_seconds=3600, batch=4)
    try:
        await audit.record(*reads(clock, ids, 4))

        async def written() -> bool:
            return len(await stored(backend)) == 4

        await eventually(written)
    finally:
        await audit.close()


async def test_shutdown_writes_what_is_buffered(backend: AuditBackend, clock, ids) -> None:
    audit = BufferedSqlPhiReadAudit(backend.sessions, SEALER, interval_seconds=3600)
    await audit.record(*reads(clock, ids, 2))
    assert (audit.pending, await stored(backend)) == (2, [])
    await audit.close()
    assert (audit.pending, await stored(backend)) == (0, ["0", "1"])


async def test_a_failed_write_keeps_its_entries_for_the_next(backend: AuditBackend, clock, ids) -> None:
    database = {"up": False}

    def sessions():
        if not database["up"]:
            raise ConnectionError("database unreachable")
        return backend.sessions()

    audit = BufferedSqlPhiReadAudit(sessions, SEALER, interval_seconds=3600)  # type: ignore[arg-type]
    await audit.record(*reads(clock, ids, 3))
    assert await audit.flush() == 0 and audit.pending == 3
    database["up"] = True
    await audit.close()
    assert await stored(backend) == ["0", "1", "2"]

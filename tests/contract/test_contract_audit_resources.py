"""The audit search narrowed to a set of resources, on every backend (the patient export reads the
entries about a patient's record, appointments, prescriptions and consents this way)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from audit_backends import AuditBackend, open_backend

from application.auditing import AuditEntries
from application.ports.audit import AuditQuery

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path, clock, ids) -> AsyncIterator[AuditBackend]:
    async with open_backend(request.param, tmp_path, clock, ids) as opened:
        yield opened


async def test_the_search_keeps_only_the_named_resources_of_the_chain(
    backend: AuditBackend, clock, ids
) -> None:
    entries = AuditEntries(clock, ids)
    clinic, other_clinic = ids.new_id(), ids.new_id()
    made = []
    for kind, rid in (
        ("patient", "p1"),
        ("appointment", "a1"),
        ("appointment", "a2"),
        ("patient", "p2"),
        ("prescription", "a1"),  # same id, another type: not named
        ("consent", "c1"),
        ("appointment", "a1"),
    ):
        clock.advance(minutes=1)
        made.append(entries.entry(None, "SEED", kind, rid, clinic_id=clinic))
    unit = backend.unit()
    unit.uow.record(*made, entries.entry(None, "SEED", "patient", "p1", clinic_id=other_clinic))
    await unit.uow.commit()
    audit = backend.unit().audit
    wanted = frozenset({("patient", "p1"), ("appointment", "a1"), ("consent", "c1"), ("doctor", "d9")})

    async def found(query: AuditQuery, after=None, limit=100) -> list[tuple[str, str]]:
        return [
            (s.entry.resource_type, s.entry.resource_id)
            for s in await audit.search(query, after=after, limit=limit)
        ]

    query = AuditQuery(clinic_id=clinic, resources=wanted)
    assert await found(query) == [
        ("patient", "p1"),
        ("appointment", "a1"),
        ("consent", "c1"),
        ("appointment", "a1"),
    ]
    first = await audit.search(query, after=None, limit=2)
    assert await found(query, after=first[-1].entry.id) == [("consent", "c1"), ("appointment", "a1")]
    assert await found(AuditQuery(clinic_id=clinic, resources=frozenset())) == []
    narrowed = AuditQuery(clinic_id=clinic, resources=wanted, resource_type="appointment")
    assert await found(narrowed) == [("appointment", "a1"), ("appointment", "a1")]
    await backend.release()

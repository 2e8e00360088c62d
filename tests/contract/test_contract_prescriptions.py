"""Prescription versions: one contract on memory, SQLite and PostgreSQL.

``appointment_id`` is stored as an opaque id here; that it names an appointment of the clinic and
patient is the use case's rule (tests/unit/test_prescriptions.py, tests/http).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text
from system_sessions import system_sessions

from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.memory.prescriptions import InMemoryPrescriptionRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.prescriptions import SqlPrescriptionRepository
from adapters.sql.uow import SqlUnitOfWork
from application.ports.prescriptions import ContentUnreadable
from application.ports.uow import UnitOfWork
from conftest import ALL_BACKENDS, Build
from domain.errors import PrescriptionSuperseded, TransientFailure
from domain.prescriptions import MedicationLine, Prescription, PrescriptionContent, new_salt

CIPHER = AesGcmFieldCipher("t1", {"t1": bytes(range(32))})
Parts = tuple[UnitOfWork, Any, Any]


@pytest.fixture(params=ALL_BACKENDS)
async def parts(request, tmp_path) -> AsyncIterator[Callable[[], Parts]]:
    if request.param == "memory":
        store = InMemoryStore()

        def memory() -> Parts:
            uow = InMemoryUnitOfWork(store)
            return uow, InMemoryPrescriptionRepository(uow), store

        yield memory
        return
    async with system_sessions(request.param, tmp_path) as new_session:

        def sql() -> Parts:
            session = new_session()
            return SqlUnitOfWork(session), SqlPrescriptionRepository(session, CIPHER), session

        yield sql


def _content(dosage: str = "500 mg", notes: str | None = "Ça va — with food") -> PrescriptionContent:
    line = MedicationLine(name="Amoxicillin", dosage=dosage, frequency="3x daily", duration_days=7)
    return PrescriptionContent.of((line,), notes, salt=new_salt())


def _first(build: Build, *, clinic_id: UUID | None = None, patient_id: UUID | None = None) -> Prescription:
    return Prescription.issue(
        id=build.id(),
        clinic_id=clinic_id or build.id(),
        patient_id=patient_id or build.id(),
        prescriber_id=build.id(),
        appointment_id=build.id(),
        content=_content(),
        issued_at=build.now(),
    )


def _next(build: Build, version: Prescription, dosage: str = "250 mg") -> Prescription:
    return version.correct(
        id=build.id(),
        prescriber_id=build.id(),
        appointment_id=None,
        content=_content(dosage),
        issued_at=build.now(),
    )


async def _store(parts: Callable[[], Parts], *versions: Prescription) -> None:
    uow, repo, _ = parts()
    for version in versions:
        await repo.add(version)
    await uow.commit()


async def test_a_version_round_trips_exactly_and_only_in_its_clinic(parts, build: Build) -> None:
    first = _first(build)
    await _store(parts, first)
    _, repo, _ = parts()
    assert await repo.get(first.clinic_id, first.id) == first
    assert (await repo.get(first.clinic_id, first.id)).is_intact()
    assert await repo.get(build.id(), first.id) is None
    assert await repo.get(first.clinic_id, build.id()) is None


async def test_the_next_version_supersedes_and_both_stay_readable(parts, build: Build) -> None:
    first = _first(build)
    second = _next(build, first)
    third = _next(build, second, "125 mg")
    await _store(parts, first)
    await _store(parts, second, third)
    _, repo, _ = parts()
    assert (await repo.get(first.clinic_id, first.id)).superseded_by == second.id
    assert (await repo.get(first.clinic_id, second.id)).superseded_by == third.id
    latest = await repo.get(first.clinic_id, third.id)
    assert latest == third and latest.superseded_by is None and latest.previous_hash == second.content_hash


async def test_a_version_number_is_taken_once_per_lineage(parts, build: Build) -> None:
    first = _first(build)
    await _store(parts, first, _next(build, first))
    uow, repo, _ = parts()
    with pytest.raises(PrescriptionSuperseded):
        await repo.add(_next(build, first, "1 mg"))
        await uow.commit()


async def test_two_concurrent_corrections_give_one_version_and_one_superseded(parts, build: Build) -> None:
    first = _first(build)
    await _store(parts, first)
    units = [parts(), parts()]
    # Both read the version as the latest before either writes: the store's rule decides.
    for _, repo, _ in units:
        assert (await repo.get(first.clinic_id, first.id)).superseded_by is None

    async def correct(unit: Parts, dosage: str) -> str:
        uow, repo, _ = unit
        try:
            await repo.add(_next(build, first, dosage))
            await uow.commit()
        except PrescriptionSuperseded:
            await uow.rollback()
            return "superseded"
        except TransientFailure:
            # SQLite's single writer refuses the second transaction; re-run, it sees the winner.
            await uow.rollback()
            uow, repo, _ = parts()
            current = await repo.get(first.clinic_id, first.id)
            return "superseded" if current.superseded_by is not None else "lost"
        return "corrected"

    outcomes = await asyncio.wait_for(
        asyncio.gather(correct(units[0], "250 mg"), correct(units[1], "125 mg")), timeout=30
    )
    assert sorted(outcomes) == ["corrected", "superseded"]
    _, repo, _ = parts()
    versions = await repo.list(first.clinic_id, first.patient_id, after=None, limit=10)
    assert [v.version for v in versions] == [1, 2]


async def test_lists_are_per_patient_by_id_with_keyset_pages(parts, build: Build) -> None:
    clinic, patient = build.id(), build.id()
    mine = [_first(build, clinic_id=clinic, patient_id=patient) for _ in range(3)]
    others = [_first(build, clinic_id=clinic), _first(build, patient_id=patient)]
    correction = _next(build, mine[0])
    await _store(parts, *mine, *others, correction)
    _, repo, _ = parts()
    page = await repo.list(clinic, patient, after=None, limit=2)
    assert [p.id for p in page] == [mine[0].id, mine[1].id]
    assert page[0].superseded_by == correction.id
    rest = await repo.list(clinic, patient, after=page[-1].id, limit=10)
    assert [p.id for p in rest] == [mine[2].id, correction.id]


async def test_content_is_sealed_and_tampering_is_detected(parts, build: Build) -> None:
    first = _first(build)
    other = _first(build, clinic_id=first.clinic_id, patient_id=first.patient_id)
    await _store(parts, first, other)
    _, repo, session = parts()
    if isinstance(session, InMemoryStore):  # no bytes at rest: tamper with the stored value
        table = session.table("prescriptions")
        key = (first.clinic_id, first.id)
        table[key] = dataclasses.replace(table[key], content=_content("5000 mg"))
        assert not (await repo.get(first.clinic_id, first.id)).is_intact()
        return
    raw = (await session.execute(text("SELECT content_sealed FROM prescriptions"))).scalars().all()
    assert all(b"Amoxicillin" not in bytes(r) and "Ça va".encode() not in bytes(r) for r in raw)
    await session.commit()

    _, _, writer = parts()
    await writer.execute(
        text("UPDATE prescriptions SET content_hash = :h WHERE id = :id"),
        {"h": "0" * 64, "id": _id(writer, first.id)},
    )
    await writer.execute(
        text(
            "UPDATE prescriptions SET content_sealed ="
            " (SELECT content_sealed FROM prescriptions WHERE id = :o) WHERE id = :id"
        ),
        {"o": _id(writer, first.id), "id": _id(writer, other.id)},
    )
    await writer.commit()
    _, reader, _ = parts()
    assert not (await reader.get(first.clinic_id, first.id)).is_intact()
    with pytest.raises(ContentUnreadable) as unreadable:
        await reader.get(other.clinic_id, other.id)
    stored = unreadable.value.stored
    assert (stored.id, stored.patient_id, stored.content_hash) == (
        other.id,
        other.patient_id,
        other.content_hash,
    )


def _id(session: Any, value: UUID) -> Any:
    # PostgreSQL stores a native uuid; SQLite 32 hex characters.
    return value if session.bind.dialect.name == "postgresql" else value.hex


async def test_equal_content_never_gives_equal_hashes(build: Build) -> None:
    first = _first(build)
    twin = dataclasses.replace(first, content=_content())
    assert twin.content.medications == first.content.medications
    assert twin.content.salt != first.content.salt

"""Patients' records: one contract on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

import pytest
from sqlalchemy import text
from system_sessions import system_sessions

from adapters.crypto.blind_index import HmacBlindIndexer
from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.memory.patients import InMemoryPatientRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.patients import PatientCodec, SqlPatientRepository
from adapters.sql.uow import SqlUnitOfWork
from conftest import ALL_BACKENDS, Build
from domain.contact import Email, PhoneNumber
from domain.errors import PatientAlreadyExists, VersionConflict
from domain.patients import EmergencyContact, Patient

CODEC = PatientCodec(AesGcmFieldCipher("t1", {"t1": bytes(range(32))}), HmacBlindIndexer(b"k" * 32))


@pytest.fixture(params=ALL_BACKENDS)
async def parts(request, tmp_path) -> AsyncIterator[Callable[[], tuple]]:
    """A factory of (unit of work, repository, session or None), one per call, over one store."""
    if request.param == "memory":
        store = InMemoryStore()

        def memory():
            uow = InMemoryUnitOfWork(store)
            return uow, InMemoryPatientRepository(uow), None

        yield memory
        return
    async with system_sessions(request.param, tmp_path) as new_session:

        def sql():
            session = new_session()
            return SqlUnitOfWork(session), SqlPatientRepository(session, CODEC), session

        yield sql


def patient(build: Build, clinic_id: UUID, name: str = "Ana García", **fields) -> Patient:
    now = build.now()
    return Patient(
        id=build.id(),
        clinic_id=clinic_id,
        name=name,
        date_of_birth=date(1980, 4, 2),
        phone=fields.pop("phone", None),
        email=fields.pop("email", None),
        address="Calle Mayor 1, Madrid",
        emergency_contact=EmergencyContact(
            name="Luis", phone=PhoneNumber("+34600000099"), relationship="brother"
        ),
        allergies=("latex", "penicillin"),
        notes="Asthmatic since childhood",
        created_at=now,
        created_by=build.id(),
        updated_at=now,
        updated_by=None,
        **fields,
    )


async def stored(parts, *records: Patient) -> None:
    uow, patients, _ = parts()
    for record in records:
        await patients.add(record)
    await uow.commit()


async def test_a_record_round_trips_and_is_scoped_to_its_clinic(parts, build: Build) -> None:
    clinic, other = build.id(), build.id()
    ana = patient(build, clinic, phone=PhoneNumber("+34600000001"), email=Email("Ana@Example.com"))
    await stored(parts, ana)
    _, patients, _ = parts()
    assert await patients.get(clinic, ana.id) == ana
    assert await patients.get(other, ana.id) is None
    assert await patients.get_many(clinic, [ana.id, build.id()]) == [ana]
    assert await patients.find_by_phone(clinic, PhoneNumber("+34 600 000 001")) == ana
    assert await patients.find_by_email(clinic, Email("ana@EXAMPLE.com")) == ana
    assert await patients.find_by_phone(other, PhoneNumber("+34600000001")) is None
    assert await patients.find_by_email(other, Email("ana@example.com")) is None


async def test_phi_is_sealed_in_the_database_rows(parts, build: Build) -> None:
    clinic = build.id()
    ana = patient(build, clinic, phone=PhoneNumber("+34600000001"), email=Email("ana@example.com"))
    await stored(parts, ana)
    session = parts()[2]
    if session is None:
        pytest.skip("the memory store keeps domain objects, not rows")
    rows = (await session.execute(text("SELECT * FROM patients"))).mappings().all()
    tokens = (await session.execute(text("SELECT token FROM patient_name_tokens"))).scalars().all()
    dump = repr([dict(r) for r in rows]) + repr(tokens)
    raw = b"".join(bytes(r["sealed"]) for r in rows)
    for plain in (
        "Ana",
        "Garc",
        "600000001",
        "ana@example",
        "1980",
        "Mayor",
        "latex",
        "Asthma",
        "Luis",
        "ana",
    ):
        assert plain not in dump
        assert plain.encode() not in raw
    assert len(tokens) == len({"ana", "gar", "garc", "garci", "garcia"})


async def test_name_tokens_find_candidates_by_word_prefix_in_id_order(parts, build: Build) -> None:
    clinic, other = build.id(), build.id()
    ana = patient(build, clinic, phone=PhoneNumber("+34600000001"))
    anabel = patient(build, clinic, "Anabel Ruiz", phone=PhoneNumber("+34600000002"))
    bo = patient(build, clinic, "Bo Garcés", phone=PhoneNumber("+34600000003"))
    elsewhere = patient(build, other, "Ana Gómez", phone=PhoneNumber("+34600000001"))
    await stored(parts, ana, anabel, bo, elsewhere)
    _, patients, _ = parts()
    assert await patients.find_by_name_token(clinic, "ana", after=None, limit=10) == [ana.id, anabel.id]
    assert await patients.find_by_name_token(clinic, "ana", after=ana.id, limit=10) == [anabel.id]
    assert await patients.find_by_name_token(clinic, "garc", after=None, limit=1) == [ana.id]
    assert await patients.find_by_name_token(clinic, "garces", after=None, limit=10) == [bo.id]
    assert await patients.find_by_name_token(clinic, "zzz", after=None, limit=10) == []


async def test_duplicates_within_a_clinic_are_refused(parts, build: Build) -> None:
    clinic = build.id()
    ana = patient(build, clinic, phone=PhoneNumber("+34600000001"), email=Email("ana@example.com"))
    await stored(parts, ana)
    for duplicate in (
        replace(ana, name="Same id"),
        patient(build, clinic, phone=PhoneNumber("+34600000001")),
        patient(build, clinic, email=Email("ANA@example.com")),
    ):
        with pytest.raises(PatientAlreadyExists):
            await stored(parts, duplicate)
    await stored(parts, patient(build, build.id(), phone=PhoneNumber("+34600000001")))  # another clinic


async def test_updates_are_guarded_by_version_and_reindex_the_name(parts, build: Build) -> None:
    clinic = build.id()
    ana = patient(build, clinic, phone=PhoneNumber("+34600000001"))
    bo = patient(build, clinic, "Bo Li", email=Email("bo@example.com"))
    await stored(parts, ana, bo)
    uow, patients, _ = parts()
    changed = replace(ana, name="Beatriz Soto", version=2, updated_at=build.now())
    await patients.update(changed, expected_version=1)
    await uow.commit()
    _, patients, _ = parts()
    assert await patients.get(clinic, ana.id) == changed
    assert await patients.find_by_name_token(clinic, "gar", after=None, limit=10) == []
    assert await patients.find_by_name_token(clinic, "beat", after=None, limit=10) == [ana.id]
    uow, patients, _ = parts()
    with pytest.raises(VersionConflict):
        await patients.update(replace(changed, version=3), expected_version=1)
    await uow.rollback()
    uow, patients, _ = parts()
    with pytest.raises(PatientAlreadyExists):
        await patients.update(replace(bo, phone=PhoneNumber("+34600000001"), version=2), expected_version=1)
        await uow.commit()


async def test_a_deleted_record_is_hidden_gives_up_its_indexes_and_is_purged_after_the_cutoff(
    parts, build: Build
) -> None:
    clinic = build.id()
    ana = patient(build, clinic, phone=PhoneNumber("+34600000001"))
    await stored(parts, ana)
    deleted_at = build.now()
    uow, patients, _ = parts()
    await patients.soft_delete(
        replace(ana, deleted_at=deleted_at, deleted_by=build.id(), version=2), expected_version=1
    )
    await uow.commit()
    _, patients, _ = parts()
    assert await patients.get(clinic, ana.id) is None
    assert await patients.exists(clinic, ana.id)
    assert await patients.get_many(clinic, [ana.id]) == []
    assert await patients.find_by_phone(clinic, PhoneNumber("+34600000001")) is None
    assert await patients.find_by_name_token(clinic, "ana", after=None, limit=10) == []
    newcomer = patient(build, clinic, "Ana Nueva", phone=PhoneNumber("+34600000001"))
    await stored(parts, newcomer)  # the phone is free again

    uow, patients, _ = parts()
    assert await patients.purge_deleted_before(deleted_at, limit=10) == []
    assert await patients.purge_deleted_before(deleted_at + timedelta(seconds=1), limit=10) == [
        (clinic, ana.id)
    ]
    await uow.commit()
    _, patients, _ = parts()
    assert not await patients.exists(clinic, ana.id)
    assert await patients.get(clinic, newcomer.id) == newcomer

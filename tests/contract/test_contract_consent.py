"""Consent history and break-glass grants: one contract on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import text
from system_sessions import system_sessions

from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.memory.consent import InMemoryConsentRepository, InMemoryEmergencyGrantRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.consent import SqlConsentRepository, SqlEmergencyGrantRepository
from adapters.sql.uow import SqlUnitOfWork
from conftest import ALL_BACKENDS, Build
from domain.consent import ConsentRecord, ConsentScope, EmergencyGrant

CIPHER = AesGcmFieldCipher("t1", {"t1": bytes(range(32))})


@pytest.fixture(params=ALL_BACKENDS)
async def parts(request, tmp_path) -> AsyncIterator[Callable[[], tuple]]:
    if request.param == "memory":
        store = InMemoryStore()

        def memory():
            uow = InMemoryUnitOfWork(store)
            return uow, InMemoryConsentRepository(uow), InMemoryEmergencyGrantRepository(uow), None

        yield memory
        return
    async with system_sessions(request.param, tmp_path) as new_session:

        def sql():
            session = new_session()
            return (
                SqlUnitOfWork(session),
                SqlConsentRepository(session),
                SqlEmergencyGrantRepository(session, CIPHER),
                session,
            )

        yield sql


async def test_history_is_per_clinic_and_patient_in_order(parts, build: Build) -> None:
    clinic, other_clinic, patient = build.id(), build.id(), build.id()
    uow, consents, _, _ = parts()
    records = []
    for clinic_id, scope in (
        (clinic, ConsentScope.TREATMENT),
        (other_clinic, ConsentScope.TREATMENT),
        (clinic, ConsentScope.DATA_SHARING),
    ):
        record = ConsentRecord(
            id=build.id(),
            clinic_id=clinic_id,
            patient_id=patient,
            scope=scope,
            recorded_at=build.now(),
            recorded_by=build.id(),
            expires_at=build.now() + timedelta(days=1),
        )
        records.append(record)
        await consents.add(record)
    revocation = ConsentRecord(
        id=build.id(),
        clinic_id=clinic,
        patient_id=patient,
        scope=ConsentScope.TREATMENT,
        recorded_at=build.now(),
        recorded_by=build.id(),
        revokes=records[0].id,
    )
    await consents.add(revocation)
    await uow.commit()
    assert await parts()[1].history(clinic, patient) == [records[0], records[2], revocation]
    assert await parts()[1].history(clinic, build.id()) == []


async def test_only_live_grants_of_that_doctor_are_found_and_reasons_are_sealed(parts, build: Build) -> None:
    clinic, patient, doctor = build.id(), build.id(), build.id()
    start = build.now()
    grant = EmergencyGrant(
        id=build.id(),
        clinic_id=clinic,
        patient_id=patient,
        granted_to=doctor,
        reason="Suspected overdose",
        granted_at=start,
        expires_at=start + timedelta(minutes=60),
    )
    uow, _, grants, session = parts()
    await grants.add(grant)
    await uow.commit()
    reader = parts()[2]
    assert await reader.active(clinic, patient, doctor, start + timedelta(minutes=59)) == grant
    assert await reader.active(clinic, patient, doctor, start + timedelta(minutes=60)) is None
    assert await reader.active(clinic, patient, build.id(), start) is None
    if session is not None:
        raw = (await session.execute(text("SELECT reason_sealed FROM emergency_grants"))).scalar_one()
        assert b"overdose" not in bytes(raw)


async def test_every_grant_on_a_patient_is_listed_oldest_first_with_its_reason(parts, build: Build) -> None:
    clinic, other_clinic, patient, doctor = build.id(), build.id(), build.id(), build.id()
    start = build.now()
    made = [
        EmergencyGrant(
            id=build.id(),
            clinic_id=clinic_id,
            patient_id=patient_id,
            granted_to=doctor,
            reason=f"Reason {n}",
            granted_at=start + timedelta(minutes=minutes),
            expires_at=start + timedelta(minutes=minutes + 30),
        )
        for n, (clinic_id, patient_id, minutes) in enumerate(
            [
                (clinic, patient, 90),
                (clinic, patient, 0),
                (other_clinic, patient, 10),
                (clinic, build.id(), 5),
            ]
        )
    ]
    uow, _, grants, _ = parts()
    for grant in made:
        await grants.add(grant)
    await uow.commit()
    reader = parts()[2]
    assert await reader.for_patient(clinic, patient) == [made[1], made[0]]
    assert await reader.for_patient(clinic, build.id()) == []

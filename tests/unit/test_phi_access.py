"""The gate before any PHI read: self, consent, break-glass, and everyone else."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from memory_world import World

from adapters.memory.consent import InMemoryConsentRepository, InMemoryEmergencyGrantRepository
from application.consent.phi_access import PhiBasis, authorize_phi_read
from domain.access import Actor, ClinicRole
from domain.consent import ConsentRecord, ConsentScope, EmergencyGrant
from domain.errors import ConsentExpired, InsufficientPermissions, PatientNotFound
from domain.identity import Role

CLINIC, HOME, AWAY = uuid4(), uuid4(), uuid4()


def actor(role: Role, locations: frozenset = frozenset()) -> Actor:
    return Actor(user_id=uuid4(), memberships={CLINIC: ClinicRole(role, locations)})


async def check(world: World, who: Actor, patient, *, location=None):
    unit = world.unit()
    return await authorize_phi_read(
        who,
        CLINIC,
        patient,
        location_id=location,
        consents=InMemoryConsentRepository(unit.uow),
        grants=InMemoryEmergencyGrantRepository(unit.uow),
        now=world.clock.now(),
    )


async def record(world: World, item) -> None:
    unit = world.unit()
    if isinstance(item, ConsentRecord):
        await InMemoryConsentRepository(unit.uow).add(item)
    else:
        await InMemoryEmergencyGrantRepository(unit.uow).add(item)
    await unit.uow.commit()


def consent(world: World, patient, *, expires_in=None, revokes=None) -> ConsentRecord:
    now = world.clock.now()
    return ConsentRecord(
        id=uuid4(),
        clinic_id=CLINIC,
        patient_id=patient,
        scope=ConsentScope.TREATMENT,
        recorded_at=now,
        recorded_by=uuid4(),
        expires_at=now + expires_in if expires_in else None,
        revokes=revokes,
    )


async def test_a_patient_reads_their_own(world: World) -> None:
    patient = actor(Role.PATIENT)
    assert (await check(world, patient, patient.user_id)).basis is PhiBasis.SELF
    with pytest.raises(PatientNotFound):
        await check(world, patient, uuid4())


async def test_clinical_staff_need_an_active_treatment_consent(world: World, clock) -> None:
    patient, doctor = uuid4(), actor(Role.DOCTOR)
    with pytest.raises(ConsentExpired):
        await check(world, doctor, patient)
    grant = consent(world, patient, expires_in=timedelta(days=1))
    await record(world, grant)
    assert (await check(world, doctor, patient)).basis is PhiBasis.CONSENT
    clock.advance(days=2)
    with pytest.raises(ConsentExpired):
        await check(world, doctor, patient)
    fresh = consent(world, patient)
    await record(world, fresh)
    await record(world, consent(world, patient, revokes=fresh.id))
    with pytest.raises(ConsentExpired):
        await check(world, doctor, patient)


async def test_locations_admins_and_break_glass(world: World, clock) -> None:
    patient = uuid4()
    await record(world, consent(world, patient))
    limited = actor(Role.DOCTOR, frozenset({HOME}))
    assert (await check(world, limited, patient, location=HOME)).basis is PhiBasis.CONSENT
    with pytest.raises(PatientNotFound):
        await check(world, limited, patient, location=AWAY)
    with pytest.raises(InsufficientPermissions):
        await check(world, actor(Role.CLINIC_ADMIN), patient)
    now = clock.now()
    await record(
        world,
        EmergencyGrant(
            id=uuid4(),
            clinic_id=CLINIC,
            patient_id=patient,
            granted_to=limited.user_id,
            reason="code blue",
            granted_at=now,
            expires_at=now + timedelta(minutes=60),
        ),
    )
    access = await check(world, limited, patient, location=AWAY)
    assert access.basis is PhiBasis.EMERGENCY and access.emergency_grant is not None
    clock.advance(minutes=61)
    with pytest.raises(PatientNotFound):
        await check(world, limited, patient, location=AWAY)

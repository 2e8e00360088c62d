"""Patients' records over the memory adapters: register, read, change, find, delete, purge."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from memory_world import Unit, World, member_of, super_admin

from adapters.memory.audit import InMemoryPhiReadAudit
from adapters.memory.consent import InMemoryConsentRepository, InMemoryEmergencyGrantRepository
from adapters.memory.patients import InMemoryPatientRepository
from adapters.memory.repositories import (
    InMemoryClinicRepository,
    InMemoryLocationRepository,
    InMemoryMembershipRepository,
    InMemoryUserRepository,
)
from adapters.memory.uow import InMemoryUnitOfWork
from application.audit.denials import DeniedAttempts
from application.clinics.create_clinic import CreateClinic, CreateClinicCommand
from application.pagination import PageRequest
from application.patients.create_patient import CreatePatient, CreatePatientCommand
from application.patients.delete_patient import DeletePatient, DeletePatientCommand
from application.patients.get_patient import GetPatient
from application.patients.purge_patient_records import PurgePatientRecords, RecordsRetention
from application.patients.search_patients import SearchPatients, SearchPatientsQuery
from application.patients.update_patient import UpdatePatient, UpdatePatientCommand
from application.users.create_user import CreateUser, CreateUserCommand
from domain.access import Actor, ClinicRole
from domain.audit import Outcome
from domain.audit_chain import UNCONFIGURED_KEY, ChainSealer
from domain.consent import ConsentRecord, ConsentScope, EmergencyGrant
from domain.contact import PhoneNumber
from domain.errors import (
    ClinicAccessDenied,
    ConsentExpired,
    InsufficientPermissions,
    MembershipAlreadyExists,
    PatientAlreadyExists,
    PatientNotFound,
    ValidationFailed,
    VersionConflict,
)
from domain.identity import Role

ANA = {
    "name": "Ana García",
    "date_of_birth": "1980-04-02",
    "phone": "+34 600 000 001",
    "allergies": ["latex"],
}


class Clinic:
    """One clinic of a world, with its use cases built per call (each call: a fresh unit)."""

    def __init__(self, world: World, clinic_id: UUID) -> None:
        self.world = world
        self.id = clinic_id

    def parts(self) -> dict[str, Any]:
        base = self.world.unit()
        uow = InMemoryUnitOfWork(self.world.store, audit=base.audit)
        unit = Unit(
            uow=uow,
            clinics=InMemoryClinicRepository(uow),
            locations=InMemoryLocationRepository(uow),
            users=InMemoryUserRepository(uow),
            memberships=InMemoryMembershipRepository(uow),
            clock=base.clock,
            ids=base.ids,
            audit=base.audit,
        )
        return {
            "unit": unit,
            "uow": uow,
            "patients": InMemoryPatientRepository(uow),
            "consents": InMemoryConsentRepository(uow),
            "grants": InMemoryEmergencyGrantRepository(uow),
            "phi": InMemoryPhiReadAudit(self.world.store, ChainSealer(UNCONFIGURED_KEY)),
            "denied": DeniedAttempts(uow, unit.audit),
        }

    async def create(self, actor: Actor, **fields: Any):
        p = self.parts()
        u = p["unit"]
        create = CreatePatient(
            u.clinics, u.users, u.memberships, p["patients"], p["uow"], u.clock, u.ids, u.audit
        )
        return await create(CreatePatientCommand(clinic_id=self.id, fields=fields), actor)

    async def get(self, actor: Actor, patient_id: UUID):
        p = self.parts()
        u = p["unit"]
        read = GetPatient(p["patients"], p["consents"], p["grants"], u.clock, u.audit, p["phi"], p["denied"])
        return await read(self.id, patient_id, actor)

    async def update(self, actor: Actor, patient_id: UUID, version: int | None = None, **changes: Any):
        p = self.parts()
        u = p["unit"]
        update = UpdatePatient(
            u.clinics, p["patients"], p["consents"], p["grants"], p["uow"], u.clock, u.audit, p["phi"]
        )
        command = UpdatePatientCommand(
            clinic_id=self.id, patient_id=patient_id, changes=changes, expected_version=version
        )
        return await update(command, actor)

    async def search(self, actor: Actor, limit: int = 20, after: UUID | None = None, **criteria: str):
        p = self.parts()
        search = SearchPatients(p["patients"], p["unit"].audit, p["phi"], p["denied"])
        query = SearchPatientsQuery(clinic_id=self.id, page=PageRequest(limit=limit, after=after), **criteria)
        return await search(query, actor)

    async def delete(self, actor: Actor, patient_id: UUID) -> None:
        p = self.parts()
        u = p["unit"]
        remove = DeletePatient(p["patients"], p["uow"], u.clock, u.audit)
        await remove(DeletePatientCommand(clinic_id=self.id, patient_id=patient_id), actor)

    async def consent(self, patient_id: UUID) -> None:
        p = self.parts()
        now = self.world.clock.now()
        await p["consents"].add(
            ConsentRecord(
                id=self.world.ids.new_id(),
                clinic_id=self.id,
                patient_id=patient_id,
                scope=ConsentScope.TREATMENT,
                recorded_at=now,
                recorded_by=patient_id,
            )
        )
        await p["uow"].commit()

    def staff(self, role: Role) -> Actor:
        return member_of(self.id, role, self.world.ids)

    def patient(self, patient_id: UUID) -> Actor:
        return Actor(user_id=patient_id, memberships={self.id: ClinicRole(Role.PATIENT)})

    def audit(self, action: str) -> list:
        return [e for e in self.world.store.audit if e.action == action]


async def open_clinic(world: World, name: str = "North") -> Clinic:
    unit = world.unit()
    create = CreateClinic(unit.clinics, unit.uow, unit.clock, unit.ids, unit.audit)
    clinic = await create(CreateClinicCommand(name=name, time_zone="Europe/Madrid"), super_admin(world.ids))
    return Clinic(world, clinic.id)


@pytest.fixture
async def north(world: World) -> Clinic:
    return await open_clinic(world)


async def test_registering_makes_the_user_the_membership_and_the_record_in_one_audited_unit(
    world: World, north: Clinic
) -> None:
    desk = north.staff(Role.RECEPTIONIST)
    patient = await north.create(desk, **ANA)
    unit = world.unit()
    user = await unit.users.get(patient.id)
    assert user is not None and user.phone == PhoneNumber("+34600000001")
    assert (await unit.memberships.get(north.id, patient.id)).role is Role.PATIENT
    assert patient.date_of_birth == date(1980, 4, 2) and patient.allergies == ("latex",)
    assert [e.action for e in world.store.audit][-3:] == ["CREATE_USER", "ADD_MEMBER", "CREATE_PATIENT"]
    assert north.audit("CREATE_PATIENT")[0].patient_id == patient.id


async def test_a_user_known_elsewhere_is_reused_without_copying_anything(world: World, north: Clinic) -> None:
    south = await open_clinic(world, "South")
    elsewhere = await south.create(south.staff(Role.RECEPTIONIST), **{**ANA, "notes": "South's notes"})
    here = await north.create(
        north.staff(Role.RECEPTIONIST), name="Ana G.", date_of_birth="1980-04-02", phone="+34600000001"
    )
    assert here.id == elsewhere.id
    assert (here.name, here.notes, here.allergies) == ("Ana G.", None, ())
    assert [e.action for e in world.store.audit][-2:] == ["ADD_MEMBER", "CREATE_PATIENT"]


async def test_a_second_record_for_the_same_person_or_contact_is_refused(north: Clinic) -> None:
    desk = north.staff(Role.RECEPTIONIST)
    await north.create(desk, **ANA)
    with pytest.raises(PatientAlreadyExists):
        await north.create(desk, **ANA)
    other = await north.create(desk, name="Bo Li", date_of_birth="1990-01-01", email="bo@example.com")
    await north.consent(other.id)
    with pytest.raises(PatientAlreadyExists):  # Ana's phone, on Bo's record
        await north.update(desk, other.id, phone="+34600000001")


async def test_staff_of_the_clinic_cannot_also_be_its_patient(world: World, north: Clinic) -> None:
    unit = world.unit()
    user = await CreateUser(unit.users, unit.uow, unit.clock, unit.ids, unit.audit)(
        CreateUserCommand(name="Doc", email="doc@example.com"), super_admin(world.ids)
    )
    from application.members.add_member import AddMember, AddMemberCommand

    unit = world.unit()
    add = AddMember(
        unit.clinics, unit.users, unit.locations, unit.memberships, unit.uow, unit.clock, unit.audit
    )
    await add(AddMemberCommand(clinic_id=north.id, user_id=user.id, role="DOCTOR"), super_admin(world.ids))
    with pytest.raises(MembershipAlreadyExists):
        await north.create(
            north.staff(Role.RECEPTIONIST), name="Doc", date_of_birth="1970-01-01", email="DOC@example.com"
        )


async def test_every_invalid_field_is_named_at_once(world: World, north: Clinic) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await north.create(
            north.staff(Role.RECEPTIONIST),
            name=" ",
            date_of_birth=(world.clock.now().date() + timedelta(days=2)).isoformat(),
            email="not-an-address",
            emergency_contact={"name": "Mum", "phone": "12"},
            allergies=["", "x" * 201],
            notes="n" * 5001,
        )
    assert set(raised.value.details) == {
        "name",
        "dateOfBirth",
        "email",
        "emergencyContact.phone",
        "allergies[0]",
        "allergies[1]",
        "notes",
    }
    for born in ("1899-12-31", "02/04/1980", "1980-02-30"):
        with pytest.raises(ValidationFailed) as raised:
            await north.create(north.staff(Role.RECEPTIONIST), **{**ANA, "date_of_birth": born})
        assert set(raised.value.details) == {"dateOfBirth"}
    with pytest.raises(ValidationFailed) as raised:
        await north.create(north.staff(Role.RECEPTIONIST), name="No Contact", date_of_birth="1980-01-01")
    assert set(raised.value.details) == {"phone"}


async def test_patients_and_outsiders_cannot_register(world: World, north: Clinic) -> None:
    with pytest.raises(InsufficientPermissions):
        await north.create(north.patient(world.ids.new_id()), **ANA)
    south = await open_clinic(world, "South")
    with pytest.raises(ClinicAccessDenied):
        await north.create(south.staff(Role.CLINIC_ADMIN), **ANA)


async def test_reading_needs_self_consent_or_break_glass_and_each_read_names_its_basis(
    world: World, north: Clinic
) -> None:
    patient = await north.create(north.staff(Role.RECEPTIONIST), **ANA)
    assert (await north.get(north.patient(patient.id), patient.id)).name == "Ana García"
    doctor = north.staff(Role.DOCTOR)
    with pytest.raises(ConsentExpired):
        await north.get(doctor, patient.id)
    assert [e.outcome for e in north.audit("VIEW_PATIENT")] == [Outcome.DENIED]

    p = north.parts()
    now = world.clock.now()
    await p["grants"].add(
        EmergencyGrant(
            id=world.ids.new_id(),
            clinic_id=north.id,
            patient_id=patient.id,
            granted_to=doctor.user_id,
            reason="Unconscious",
            granted_at=now,
            expires_at=now + timedelta(minutes=30),
        )
    )
    await p["uow"].commit()
    await north.get(doctor, patient.id)
    await north.consent(patient.id)
    await north.get(north.staff(Role.RECEPTIONIST), patient.id)
    reads = [e.action for e in world.store.audit if e.action.startswith("VIEW_PATIENT_")]
    assert reads == ["VIEW_PATIENT_SELF", "VIEW_PATIENT_EMERGENCY", "VIEW_PATIENT_CONSENT"]
    assert all(e.patient_id == patient.id for e in world.store.audit if e.action in reads)


async def test_others_get_not_found_and_admins_insufficient_permissions(world: World, north: Clinic) -> None:
    patient = await north.create(north.staff(Role.RECEPTIONIST), **ANA)
    await north.consent(patient.id)
    south = await open_clinic(world, "South")
    for outsider in (north.patient(world.ids.new_id()), south.staff(Role.DOCTOR), super_admin(world.ids)):
        with pytest.raises(PatientNotFound):
            await north.get(outsider, patient.id)
    with pytest.raises(InsufficientPermissions):
        await north.get(north.staff(Role.CLINIC_ADMIN), patient.id)
    with pytest.raises(PatientNotFound):
        await north.get(north.staff(Role.DOCTOR), world.ids.new_id())


async def test_changes_are_partial_versioned_and_audited_by_field_name(world: World, north: Clinic) -> None:
    patient = await north.create(north.staff(Role.RECEPTIONIST), **{**ANA, "email": "ana@example.com"})
    own = north.patient(patient.id)
    changed = await north.update(own, patient.id, version=1, address="Calle 1", phone=None)
    assert (changed.version, changed.address, changed.phone, changed.name) == (
        2,
        "Calle 1",
        None,
        "Ana García",
    )
    with pytest.raises(VersionConflict):
        await north.update(own, patient.id, version=1, notes="stale")
    with pytest.raises(ValidationFailed) as raised:
        await north.update(own, patient.id, email=None)
    assert set(raised.value.details) == {"phone"}
    with pytest.raises(ValidationFailed):
        await north.update(own, patient.id, name=None)
    [entry] = north.audit("UPDATE_PATIENT")
    assert entry.changed_fields == ("address", "phone")
    with pytest.raises(ConsentExpired):
        await north.update(north.staff(Role.DOCTOR), patient.id, notes="Sees the record: needs consent")
    with pytest.raises(PatientNotFound):
        await north.update(north.patient(world.ids.new_id()), patient.id, notes="not mine")


async def test_search_by_phone_email_and_name_prefix_shows_identity_and_audits_each_result(
    world: World, north: Clinic
) -> None:
    desk = north.staff(Role.RECEPTIONIST)
    ana = await north.create(desk, **{**ANA, "email": "Ana@Example.com"})
    await north.create(desk, name="Anabel Ruiz", date_of_birth="1991-05-05", phone="+34600000002")
    await north.create(desk, name="Bo Garcés", date_of_birth="1992-06-06", phone="+34600000003")
    south = await open_clinic(world, "South")
    await south.create(
        south.staff(Role.RECEPTIONIST), name="Ana Gómez", date_of_birth="1970-01-01", phone="+34600000009"
    )

    by_phone = await north.search(desk, phone="+34 600-000-001")
    assert [m.id for m in by_phone.items] == [ana.id]
    assert (by_phone.items[0].name, by_phone.items[0].date_of_birth) == ("Ana García", date(1980, 4, 2))
    assert [m.id for m in (await north.search(desk, email="ana@EXAMPLE.com")).items] == [ana.id]
    assert (await north.search(desk, phone="+34600000009")).items == []
    assert sorted(m.name for m in (await north.search(desk, name="ana")).items) == [
        "Ana García",
        "Anabel Ruiz",
    ]
    assert [m.name for m in (await north.search(desk, name="garc")).items] == ["Ana García", "Bo Garcés"]
    assert [m.name for m in (await north.search(desk, name="GARCÉ")).items] == ["Bo Garcés"]
    assert [m.name for m in (await north.search(desk, name="ana gar")).items] == ["Ana García"]
    results = [e for e in world.store.audit if e.action == "VIEW_PATIENT_SEARCH_RESULT"]
    assert len(results) == 8 and all(e.patient_id == UUID(e.resource_id) for e in results)


async def test_search_pages_through_name_matches(north: Clinic) -> None:
    desk = north.staff(Role.RECEPTIONIST)
    made = [
        await north.create(desk, name=f"Maria {n}", date_of_birth="1990-01-01", phone=f"+3460000010{n}")
        for n in range(5)
    ]
    seen, after = [], None
    while True:
        page = await north.search(desk, limit=2, after=after, name="mari")
        seen += [m.id for m in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == sorted(p.id for p in made)


async def test_search_rules(world: World, north: Clinic) -> None:
    desk = north.staff(Role.RECEPTIONIST)
    for criteria in ({}, {"phone": "+34600000001", "name": "ana"}):
        with pytest.raises(ValidationFailed):
            await north.search(desk, **criteria)
    with pytest.raises(ValidationFailed) as raised:
        await north.search(desk, name="li")
    assert set(raised.value.details) == {"name"}
    with pytest.raises(ValidationFailed) as raised:
        await north.search(desk, phone="12")
    assert set(raised.value.details) == {"phone"}
    for who in (north.staff(Role.CLINIC_ADMIN), north.patient(world.ids.new_id())):
        with pytest.raises(InsufficientPermissions):
            await north.search(who, name="ana")
    with pytest.raises(ClinicAccessDenied):  # the platform role reaches no patient's data
        await north.search(super_admin(world.ids), name="ana")
    south = await open_clinic(world, "South")
    with pytest.raises(ClinicAccessDenied):
        await north.search(south.staff(Role.DOCTOR), name="ana")


async def test_a_deleted_record_is_hidden_frees_its_contacts_and_is_purged_after_retention(
    world: World, north: Clinic
) -> None:
    desk = north.staff(Role.RECEPTIONIST)
    patient = await north.create(desk, **ANA)
    with pytest.raises(InsufficientPermissions):
        await north.delete(desk, patient.id)
    admin = north.staff(Role.CLINIC_ADMIN)
    await north.delete(admin, patient.id)
    with pytest.raises(PatientNotFound):
        await north.delete(admin, patient.id)
    with pytest.raises(PatientNotFound):
        await north.get(north.patient(patient.id), patient.id)
    assert (await north.search(desk, phone=ANA["phone"])).items == []
    assert (await north.search(desk, name="ana")).items == []
    with pytest.raises(PatientAlreadyExists):  # the kept record still holds the person
        await north.create(desk, **ANA)
    assert [(e.actor_id, e.outcome) for e in north.audit("DELETE_PATIENT")] == [
        (desk.user_id, Outcome.DENIED),
        (admin.user_id, Outcome.SUCCESS),
    ]

    def purge():
        p = north.parts()
        u = p["unit"]
        return PurgePatientRecords(p["patients"], p["uow"], u.clock, u.audit, RecordsRetention(days=30))()

    assert (await purge()).purged == 0
    world.clock.advance(days=31)
    assert (await purge()).purged == 1
    [purged] = north.audit("PURGE_PATIENT")
    assert (purged.actor_id, purged.patient_id) == (None, patient.id)
    assert not await north.parts()["patients"].exists(north.id, patient.id)
    again = await north.create(desk, **ANA)  # the person's membership stayed; a new record is made
    assert again.id == patient.id and again.version == 1

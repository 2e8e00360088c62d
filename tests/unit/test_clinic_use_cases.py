"""Clinic, location and membership use cases over the memory adapters."""

from __future__ import annotations

import pytest
from memory_world import World, member_of, super_admin

from adapters.memory.audit import InMemoryPhiReadAudit
from application.audit.denials import DeniedAttempts
from application.clinics.add_location import AddLocation, AddLocationCommand
from application.clinics.create_clinic import CreateClinic, CreateClinicCommand
from application.clinics.get_clinic import GetClinic
from application.clinics.get_location import GetLocation
from application.clinics.list_clinics import ListClinics
from application.clinics.update_clinic import UpdateClinic, UpdateClinicCommand
from application.members.add_member import AddMember, AddMemberCommand
from application.pagination import PageRequest
from application.users.create_user import CreateUser, CreateUserCommand
from application.users.get_user import GetUser
from domain.audit_chain import UNCONFIGURED_KEY, ChainSealer
from domain.errors import (
    ClinicAccessDenied,
    EmailAlreadyExists,
    InsufficientPermissions,
    LocationNotFound,
    MembershipAlreadyExists,
    UserNotFound,
    ValidationFailed,
    VersionConflict,
)
from domain.identity import Role


async def new_clinic(world: World, name: str = "North Clinic"):
    unit = world.unit()
    create = CreateClinic(unit.clinics, unit.uow, unit.clock, unit.ids, unit.audit)
    return await create(CreateClinicCommand(name=name, time_zone="Europe/Berlin"), super_admin(world.ids))


async def test_super_admin_creates_a_clinic_and_the_creation_is_audited(world: World) -> None:
    clinic = await new_clinic(world)
    unit = world.unit()
    assert (await unit.clinics.get(clinic.id)).name == "North Clinic"
    [entry] = world.store.audit
    assert (entry.action, entry.resource_type, entry.resource_id, entry.clinic_id) == (
        "CREATE_CLINIC",
        "clinic",
        str(clinic.id),
        clinic.id,
    )
    assert entry.request_id == "req-super"


async def test_clinic_admin_cannot_create_clinics(world: World) -> None:
    clinic = await new_clinic(world)
    unit = world.unit()
    create = CreateClinic(unit.clinics, unit.uow, unit.clock, unit.ids, unit.audit)
    with pytest.raises(InsufficientPermissions):
        await create(
            CreateClinicCommand(name="X", time_zone="UTC"), member_of(clinic.id, Role.CLINIC_ADMIN, world.ids)
        )


async def test_invalid_time_zone_is_a_validation_error(world: World) -> None:
    unit = world.unit()
    create = CreateClinic(unit.clinics, unit.uow, unit.clock, unit.ids, unit.audit)
    with pytest.raises(ValidationFailed) as raised:
        await create(CreateClinicCommand(name="X", time_zone="Mars/Olympus"), super_admin(world.ids))
    assert "timeZone" in raised.value.details
    assert world.store.audit == []


async def test_outsiders_are_denied_the_clinic_itself(world: World) -> None:
    clinic = await new_clinic(world)
    other = await new_clinic(world, "South Clinic")
    unit = world.unit()
    outsider = member_of(other.id, Role.CLINIC_ADMIN, world.ids)
    denied = DeniedAttempts(unit.uow, unit.audit)
    with pytest.raises(ClinicAccessDenied):
        await GetClinic(unit.clinics, denied)(clinic.id, outsider)
    with pytest.raises(LocationNotFound):
        await GetLocation(unit.locations, denied)(clinic.id, world.ids.new_id(), outsider)
    refusals = [e for e in world.store.audit if e.outcome.value == "DENIED"]
    assert [(e.action, e.clinic_id) for e in refusals] == [
        ("VIEW_CLINIC", clinic.id),
        ("VIEW_LOCATIONS", clinic.id),
    ]


async def test_members_list_only_their_clinics(world: World) -> None:
    first = await new_clinic(world, "A")
    await new_clinic(world, "B")
    unit = world.unit()
    page = await ListClinics(unit.clinics)(
        PageRequest(limit=10), member_of(first.id, Role.PATIENT, world.ids)
    )
    assert [c.id for c in page.items] == [first.id]
    everything = await ListClinics(unit.clinics)(PageRequest(limit=1), super_admin(world.ids))
    assert len(everything.items) == 1 and everything.next_after == everything.items[0].id


async def test_update_with_a_stale_version_is_refused_and_changes_nothing(world: World) -> None:
    clinic = await new_clinic(world)
    admin = member_of(clinic.id, Role.CLINIC_ADMIN, world.ids)
    unit = world.unit()
    update = UpdateClinic(unit.clinics, unit.uow, unit.clock, unit.audit)
    updated = await update(
        UpdateClinicCommand(clinic_id=clinic.id, expected_version=1, name="Renamed"), admin
    )
    assert updated.version == 2
    unit = world.unit()
    with pytest.raises(VersionConflict):
        await UpdateClinic(unit.clinics, unit.uow, unit.clock, unit.audit)(
            UpdateClinicCommand(clinic_id=clinic.id, expected_version=1, name="Stale"), admin
        )
    assert (await world.unit().clinics.get(clinic.id)).name == "Renamed"


async def test_doctor_cannot_change_the_clinic(world: World) -> None:
    clinic = await new_clinic(world)
    unit = world.unit()
    with pytest.raises(InsufficientPermissions):
        await UpdateClinic(unit.clinics, unit.uow, unit.clock, unit.audit)(
            UpdateClinicCommand(clinic_id=clinic.id, name="Mine"),
            member_of(clinic.id, Role.DOCTOR, world.ids),
        )


async def test_membership_rules(world: World) -> None:
    clinic = await new_clinic(world)
    other = await new_clinic(world, "Other")
    admin = member_of(clinic.id, Role.CLINIC_ADMIN, world.ids)
    unit = world.unit()
    user = await CreateUser(unit.users, unit.uow, unit.clock, unit.ids, unit.audit)(
        CreateUserCommand(name="Dr. Who", email="who@example.com"), admin
    )
    unit = world.unit()
    foreign = await AddLocation(unit.clinics, unit.locations, unit.uow, unit.clock, unit.ids, unit.audit)(
        AddLocationCommand(clinic_id=other.id, name="Far", address="1 Far Road"), super_admin(world.ids)
    )

    def add_member():
        u = world.unit()
        return AddMember(u.clinics, u.users, u.locations, u.memberships, u.uow, u.clock, u.audit)

    with pytest.raises(LocationNotFound):
        await add_member()(
            AddMemberCommand(
                clinic_id=clinic.id, user_id=user.id, role="DOCTOR", location_ids=frozenset({foreign.id})
            ),
            admin,
        )
    with pytest.raises(ValidationFailed):
        await add_member()(AddMemberCommand(clinic_id=clinic.id, user_id=user.id, role="SUPER_ADMIN"), admin)
    with pytest.raises(UserNotFound):
        await add_member()(
            AddMemberCommand(clinic_id=clinic.id, user_id=world.ids.new_id(), role="DOCTOR"), admin
        )
    membership = await add_member()(
        AddMemberCommand(clinic_id=clinic.id, user_id=user.id, role="DOCTOR"), admin
    )
    assert membership.role is Role.DOCTOR
    with pytest.raises(MembershipAlreadyExists):
        await add_member()(AddMemberCommand(clinic_id=clinic.id, user_id=user.id, role="PATIENT"), admin)
    with pytest.raises(ClinicAccessDenied):
        await add_member()(AddMemberCommand(clinic_id=other.id, user_id=user.id, role="DOCTOR"), admin)


async def test_users_are_visible_only_through_a_shared_clinic(world: World) -> None:
    clinic = await new_clinic(world)
    other = await new_clinic(world, "Other")
    admin = member_of(clinic.id, Role.CLINIC_ADMIN, world.ids)
    unit = world.unit()
    user = await CreateUser(unit.users, unit.uow, unit.clock, unit.ids, unit.audit)(
        CreateUserCommand(name="Pat", phone="+14155550123"), admin
    )
    unit = world.unit()
    phi_reads = InMemoryPhiReadAudit(world.store, ChainSealer(UNCONFIGURED_KEY))
    denied = DeniedAttempts(unit.uow, unit.audit)
    get_user = GetUser(unit.users, unit.memberships, unit.audit, phi_reads, denied)
    with pytest.raises(UserNotFound):  # not yet a member anywhere the admin can see
        await get_user(user.id, admin)
    with pytest.raises(UserNotFound):
        await get_user(user.id, member_of(other.id, Role.CLINIC_ADMIN, world.ids))
    assert (await get_user(user.id, super_admin(world.ids))).id == user.id


async def test_duplicate_email_is_refused_case_insensitively_and_nothing_is_audited(world: World) -> None:
    unit = world.unit()
    create = CreateUser(unit.users, unit.uow, unit.clock, unit.ids, unit.audit)
    await create(CreateUserCommand(name="Ann", email="ann@example.com"), super_admin(world.ids))
    before = list(world.store.audit)
    unit = world.unit()
    with pytest.raises(EmailAlreadyExists):
        await CreateUser(unit.users, unit.uow, unit.clock, unit.ids, unit.audit)(
            CreateUserCommand(name="Ann Again", email="ANN@example.com"), super_admin(world.ids)
        )
    assert world.store.audit == before

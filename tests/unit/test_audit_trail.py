"""The audit trail's rules over the memory adapters: entry fields, sealing, denials audited once in
their own unit, PHI reads audited, the audit list's access rules, changed field names."""

from __future__ import annotations

from dataclasses import replace

import pytest
from memory_world import World, member_of, super_admin

from adapters.memory.audit import InMemoryAuditReader, InMemoryPhiReadAudit
from adapters.memory.audit_chain import InMemoryAuditChainReader
from adapters.memory.repositories import (
    InMemoryClinicRepository,
    InMemoryLocationRepository,
    InMemoryMembershipRepository,
    InMemoryUserRepository,
)
from adapters.memory.uow import InMemoryUnitOfWork
from application.audit.denials import DeniedAttempts
from application.audit.list_audit_entries import ListAuditEntries
from application.audit.verify_audit_trail import VerifyAuditTrail
from application.auditing import AuditEntries
from application.clinics.add_location import AddLocation, AddLocationCommand
from application.clinics.create_clinic import CreateClinic, CreateClinicCommand
from application.clinics.update_clinic import UpdateClinic, UpdateClinicCommand
from application.members.add_member import AddMember, AddMemberCommand
from application.members.get_member import GetMember
from application.pagination import PageRequest
from application.ports.audit import AuditQuery
from application.users.create_user import CreateUser, CreateUserCommand
from application.users.get_user import GetUser
from domain.access import Actor
from domain.audit import PLATFORM_CHAIN, Outcome
from domain.audit_chain import UNCONFIGURED_KEY, ChainHead, ChainSealer, canonical_json
from domain.errors import (
    ClinicAccessDenied,
    InsufficientPermissions,
    UserNotFound,
    ValidationFailed,
)
from domain.identity import Role

SEALER = ChainSealer(UNCONFIGURED_KEY)


class Audited:
    """Use cases over one memory store, with units that audit denials (as the container builds them)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.entries = AuditEntries(world.clock, world.ids)
        self.phi_reads = InMemoryPhiReadAudit(world.store, SEALER)

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.world.store, sealer=SEALER, audit=self.entries)

    def denied(self, uow: InMemoryUnitOfWork) -> DeniedAttempts:
        return DeniedAttempts(uow, self.entries)

    def create_clinic(self) -> CreateClinic:
        uow = self.uow()
        return CreateClinic(
            InMemoryClinicRepository(uow), uow, self.world.clock, self.world.ids, self.entries
        )

    def add_location(self) -> AddLocation:
        uow = self.uow()
        clinics, locations = InMemoryClinicRepository(uow), InMemoryLocationRepository(uow)
        return AddLocation(clinics, locations, uow, self.world.clock, self.world.ids, self.entries)

    def get_member(self) -> GetMember:
        uow = self.uow()
        return GetMember(InMemoryMembershipRepository(uow), self.entries, self.phi_reads, self.denied(uow))

    def get_user(self) -> GetUser:
        uow = self.uow()
        users, memberships = InMemoryUserRepository(uow), InMemoryMembershipRepository(uow)
        return GetUser(users, memberships, self.entries, self.phi_reads, self.denied(uow))

    def list_audit(self) -> ListAuditEntries:
        return ListAuditEntries(InMemoryAuditReader(self.world.store), self.denied(self.uow()))

    def outcomes(self) -> list[tuple[str, str]]:
        return [(e.action, e.outcome.value) for e in self.world.store.audit]


@pytest.fixture
def audited(world: World) -> Audited:
    return Audited(world)


async def test_the_canonical_form_names_chain_and_place_and_the_key_matters(audited: Audited) -> None:
    entry = audited.entries.entry(None, "A", "thing", "1", clinic_id=None)
    assert b'"chain":"platform"' in canonical_json(entry, 7) and b'"sequence":7' in canonical_json(entry, 7)
    assert canonical_json(entry, 1) == canonical_json(replace(entry), 1)
    head = ChainHead(PLATFORM_CHAIN)
    [ours] = SEALER.extend(head, [entry])
    [theirs] = ChainSealer(b"another key").extend(head, [entry])
    assert ours.sequence == 1 and ours.hash != theirs.hash
    with pytest.raises(ValueError, match="sealed into chain"):
        SEALER.extend(ChainHead("elsewhere"), [entry])


async def test_entries_carry_role_address_and_request_of_the_actor(audited: Audited, world: World) -> None:
    clinic = world.ids.new_id()
    actor = replace(member_of(clinic, Role.DOCTOR, world.ids), client_ip="198.51.100.7")
    entry = audited.entries.entry(actor, "X", "thing", 1, clinic_id=clinic, patient_id=actor.user_id)
    assert (entry.actor_role, entry.client_ip, entry.request_id) == ("DOCTOR", "198.51.100.7", "req-member")
    assert entry.patient_id == actor.user_id and entry.chain == str(clinic)
    assert audited.entries.entry(actor, "X", "t", 1, clinic_id=None).actor_role is None
    assert (
        audited.entries.entry(super_admin(world.ids), "X", "t", 1, clinic_id=clinic).actor_role
        == "SUPER_ADMIN"
    )


async def test_a_denied_write_is_audited_once_and_leaves_nothing_else(audited: Audited, world: World) -> None:
    clinic = await audited.create_clinic()(
        CreateClinicCommand(name="A", time_zone="UTC"), super_admin(world.ids)
    )
    outsider = member_of(world.ids.new_id(), Role.CLINIC_ADMIN, world.ids)
    with pytest.raises(ClinicAccessDenied):
        await audited.add_location()(
            AddLocationCommand(clinic_id=clinic.id, name="N", address="1 St"), outsider
        )
    assert audited.outcomes() == [("CREATE_CLINIC", "SUCCESS"), ("ADD_LOCATION", "DENIED")]
    denied = world.store.audit[-1]
    assert (denied.actor_id, denied.clinic_id, denied.resource_type) == (
        outsider.user_id,
        clinic.id,
        "clinic",
    )
    assert (await VerifyAuditTrail(InMemoryAuditChainReader(world.store), SEALER)()).faults == ()


async def test_member_reads_are_audited_as_phi_and_refusals_as_denied(audited: Audited, world: World) -> None:
    clinic = await audited.create_clinic()(
        CreateClinicCommand(name="A", time_zone="UTC"), super_admin(world.ids)
    )
    unit = world.unit()
    patient = await CreateUser(unit.users, unit.uow, unit.clock, unit.ids, unit.audit)(
        CreateUserCommand(name="Pat", email="pat@example.com"), super_admin(world.ids)
    )
    unit = world.unit()
    add = AddMember(
        unit.clinics, unit.users, unit.locations, unit.memberships, unit.uow, unit.clock, unit.audit
    )
    await add(
        AddMemberCommand(clinic_id=clinic.id, user_id=patient.id, role="PATIENT"), super_admin(world.ids)
    )
    doctor, receptionist_elsewhere = (
        member_of(clinic.id, Role.DOCTOR, world.ids),
        member_of(world.ids.new_id(), Role.RECEPTIONIST, world.ids),
    )

    await audited.get_member()(clinic.id, patient.id, doctor)
    with pytest.raises(UserNotFound) as refused:  # outside the clinic: existence never leaks
        await audited.get_member()(clinic.id, patient.id, receptionist_elsewhere)
    with pytest.raises(UserNotFound):
        await audited.get_member()(clinic.id, world.ids.new_id(), doctor)  # not a denial: no entry

    read, denied = world.store.audit[-2:]
    assert (read.action, read.outcome, read.patient_id, read.actor_role) == (
        "VIEW_MEMBER",
        Outcome.SUCCESS,
        patient.id,
        "DOCTOR",
    )
    assert (denied.action, denied.outcome, denied.actor_id) == (
        "VIEW_MEMBERS",
        Outcome.DENIED,
        receptionist_elsewhere.user_id,
    )
    assert refused.value.denial is None  # taken once: a second recorder finds nothing
    assert [e.outcome for e in world.store.audit].count(Outcome.DENIED) == 1


async def test_user_reads_are_audited_and_a_hidden_refusal_is_denied(audited: Audited, world: World) -> None:
    unit = world.unit()
    user = await CreateUser(unit.users, unit.uow, unit.clock, unit.ids, unit.audit)(
        CreateUserCommand(name="Ann", email="ann@example.com"), super_admin(world.ids)
    )
    stranger = member_of(world.ids.new_id(), Role.CLINIC_ADMIN, world.ids)
    await audited.get_user()(user.id, Actor(user_id=user.id))
    with pytest.raises(UserNotFound):
        await audited.get_user()(user.id, stranger)
    with pytest.raises(UserNotFound):
        await audited.get_user()(world.ids.new_id(), stranger)  # no such user: nothing to deny
    assert audited.outcomes()[-2:] == [("VIEW_USER", "SUCCESS"), ("VIEW_USER", "DENIED")]
    assert world.store.audit[-1].resource_id == str(user.id)


async def test_the_audit_list_is_for_clinic_admins_and_super_admins(audited: Audited, world: World) -> None:
    admin = super_admin(world.ids)
    a = await audited.create_clinic()(CreateClinicCommand(name="A", time_zone="UTC"), admin)
    b = await audited.create_clinic()(CreateClinicCommand(name="B", time_zone="UTC"), admin)
    page = PageRequest(limit=10)
    own = await audited.list_audit()(
        AuditQuery(clinic_id=a.id), page, member_of(a.id, Role.CLINIC_ADMIN, world.ids)
    )
    assert [s.entry.action for s in own.items] == ["CREATE_CLINIC"]
    with pytest.raises(ClinicAccessDenied):
        await audited.list_audit()(
            AuditQuery(clinic_id=a.id), page, member_of(b.id, Role.CLINIC_ADMIN, world.ids)
        )
    with pytest.raises(InsufficientPermissions):
        await audited.list_audit()(AuditQuery(clinic_id=a.id), page, member_of(a.id, Role.DOCTOR, world.ids))
    with pytest.raises(InsufficientPermissions):
        await audited.list_audit()(
            AuditQuery(clinic_id=None), page, member_of(a.id, Role.CLINIC_ADMIN, world.ids)
        )
    assert (await audited.list_audit()(AuditQuery(clinic_id=None), page, admin)).items != []
    backwards = AuditQuery(
        clinic_id=a.id, since=world.clock.now(), until=world.clock.now().replace(year=2000)
    )
    with pytest.raises(ValidationFailed):
        await audited.list_audit()(backwards, page, admin)
    assert audited.outcomes().count(("VIEW_AUDIT_TRAIL", "DENIED")) == 2


async def test_an_update_names_the_fields_it_changed_never_their_values(
    audited: Audited, world: World
) -> None:
    admin = super_admin(world.ids)
    clinic = await audited.create_clinic()(CreateClinicCommand(name="A", time_zone="UTC"), admin)
    uow = audited.uow()
    update = UpdateClinic(InMemoryClinicRepository(uow), uow, world.clock, audited.entries)
    await update(UpdateClinicCommand(clinic_id=clinic.id, name="B", contact_phone="+14155550100"), admin)
    assert world.store.audit[-1].changed_fields == ("contact_phone", "name")

"""Doctors, their weekly schedules and time off: the use cases over the memory adapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from memory_world import World, super_admin

from adapters.cache.local import MemoryCache
from adapters.memory.doctors import InMemoryDoctorRepository, InMemoryTimeOffRepository
from adapters.memory.repositories import (
    InMemoryClinicRepository,
    InMemoryLocationRepository,
    InMemoryMembershipRepository,
    InMemoryUserRepository,
)
from adapters.memory.uow import InMemoryUnitOfWork
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.caching import CacheInvalidator, QueryCache
from application.clinics.add_location import AddLocation, AddLocationCommand
from application.clinics.create_clinic import CreateClinic, CreateClinicCommand
from application.doctors.add_time_off import AddTimeOff, AddTimeOffCommand
from application.doctors.create_doctor import CreateDoctor, CreateDoctorCommand
from application.doctors.get_doctor import GetDoctor
from application.doctors.list_doctors import ListDoctors
from application.doctors.list_time_off import ListTimeOff, ListTimeOffQuery
from application.doctors.remove_time_off import RemoveTimeOff
from application.doctors.set_doctor_schedule import SetDoctorSchedule, SetDoctorScheduleCommand, WindowInput
from application.doctors.update_doctor import UpdateDoctor, UpdateDoctorCommand
from application.members.add_member import AddMember, AddMemberCommand
from application.pagination import PageRequest
from application.ports.uow import CommitListeners
from application.users.create_user import CreateUser, CreateUserCommand
from cache_support import ManualTime
from domain.access import Actor, ClinicRole
from domain.audit import Outcome
from domain.doctors import Doctor, revised
from domain.errors import (
    ClinicAccessDenied,
    DoctorAlreadyExists,
    DoctorNotFound,
    InsufficientPermissions,
    TimeOffNotFound,
    ValidationFailed,
    VersionConflict,
)
from domain.identity import Role
from domain.scheduling import Interval, free_slots

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # the world's clock starts on Sunday 2026-03-01


@dataclass
class Clinic:
    id: UUID
    location: UUID
    admin: Actor
    doctor: Actor
    other_doctor: Actor
    receptionist: Actor
    patient: Actor


class Doctors:
    """A memory world whose units drop cached reads after commit, as the container wires it."""

    def __init__(self, world: World) -> None:
        self.world = world
        time_source = ManualTime()
        self.cache = MemoryCache(clock=time_source, monotonic=time_source)
        self.root = super_admin(world.ids)

    def audit(self) -> AuditEntries:
        return AuditEntries(self.world.clock, self.world.ids)

    def uow(self) -> InMemoryUnitOfWork:
        listeners = CommitListeners((CacheInvalidator(self.cache),))
        return InMemoryUnitOfWork(self.world.store, listeners, audit=self.audit())

    def create(self) -> CreateDoctor:
        uow = self.uow()
        return CreateDoctor(
            InMemoryMembershipRepository(uow),
            InMemoryUserRepository(uow),
            InMemoryDoctorRepository(uow),
            uow,
            self.world.clock,
            self.audit(),
        )

    def get(self) -> GetDoctor:
        uow = self.uow()
        return GetDoctor(
            InMemoryDoctorRepository(uow), DeniedAttempts(uow, self.audit()), QueryCache(self.cache)
        )

    def list(self) -> ListDoctors:
        uow = self.uow()
        return ListDoctors(
            InMemoryClinicRepository(uow),
            InMemoryDoctorRepository(uow),
            DeniedAttempts(uow, self.audit()),
            QueryCache(self.cache),
        )

    def update(self) -> UpdateDoctor:
        uow = self.uow()
        return UpdateDoctor(InMemoryDoctorRepository(uow), uow, self.world.clock, self.audit())

    def schedule(self) -> SetDoctorSchedule:
        uow = self.uow()
        return SetDoctorSchedule(
            InMemoryDoctorRepository(uow),
            InMemoryLocationRepository(uow),
            uow,
            self.world.clock,
            self.audit(),
        )

    def add_time_off(self) -> AddTimeOff:
        uow = self.uow()
        return AddTimeOff(
            InMemoryDoctorRepository(uow),
            InMemoryTimeOffRepository(uow),
            uow,
            self.world.clock,
            self.world.ids,
            self.audit(),
        )

    def remove_time_off(self) -> RemoveTimeOff:
        uow = self.uow()
        return RemoveTimeOff(InMemoryDoctorRepository(uow), InMemoryTimeOffRepository(uow), uow, self.audit())

    def list_time_off(self) -> ListTimeOff:
        uow = self.uow()
        return ListTimeOff(
            InMemoryDoctorRepository(uow),
            InMemoryTimeOffRepository(uow),
            self.world.clock,
            DeniedAttempts(uow, self.audit()),
        )

    async def member(self, clinic_id: UUID, role: Role, name: str) -> Actor:
        uow = self.uow()
        users = InMemoryUserRepository(uow)
        user = await CreateUser(users, uow, self.world.clock, self.world.ids, self.audit())(
            CreateUserCommand(name=name, email=f"{name.replace(' ', '.')}@example.com"), self.root
        )
        uow = self.uow()
        add = AddMember(
            InMemoryClinicRepository(uow),
            InMemoryUserRepository(uow),
            InMemoryLocationRepository(uow),
            InMemoryMembershipRepository(uow),
            uow,
            self.world.clock,
            self.audit(),
        )
        await add(AddMemberCommand(clinic_id=clinic_id, user_id=user.id, role=role.value), self.root)
        return Actor(user_id=user.id, memberships={clinic_id: ClinicRole(role)}, request_id="req")

    async def clinic(self, name: str) -> Clinic:
        uow = self.uow()
        created = await CreateClinic(
            InMemoryClinicRepository(uow), uow, self.world.clock, self.world.ids, self.audit()
        )(CreateClinicCommand(name=name, time_zone="Europe/Berlin"), self.root)
        uow = self.uow()
        location = await AddLocation(
            InMemoryClinicRepository(uow),
            InMemoryLocationRepository(uow),
            uow,
            self.world.clock,
            self.world.ids,
            self.audit(),
        )(AddLocationCommand(clinic_id=created.id, name="Main", address="1 Quay"), self.root)
        return Clinic(
            id=created.id,
            location=location.id,
            admin=await self.member(created.id, Role.CLINIC_ADMIN, f"{name} admin"),
            doctor=await self.member(created.id, Role.DOCTOR, f"{name} doctor"),
            other_doctor=await self.member(created.id, Role.DOCTOR, f"{name} other doctor"),
            receptionist=await self.member(created.id, Role.RECEPTIONIST, f"{name} desk"),
            patient=await self.member(created.id, Role.PATIENT, f"{name} patient"),
        )

    async def profile(self, clinic: Clinic, of: Actor | None = None, **changes: object) -> Doctor:
        fields: dict = {
            "clinic_id": clinic.id,
            "user_id": (of or clinic.doctor).user_id,
            "specialty": "Cardiology",
            "licence_number": "LIC-1",
        }
        return await self.create()(CreateDoctorCommand(**(fields | changes)), clinic.admin)

    def actions(self) -> list[tuple[str, str, str]]:
        return [(e.action, e.resource_type, e.outcome.value) for e in self.world.store.audit]


@pytest.fixture
def doctors(world: World) -> Doctors:
    return Doctors(world)


def hours(location: UUID, weekday: int = 0, start: str = "09:00", end: str = "12:00") -> WindowInput:
    return WindowInput(weekday=weekday, start=start, end=end, location_id=location)


# --- profiles


async def test_an_admin_creates_a_profile_for_a_doctor_member_once(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    doctor = await doctors.profile(clinic, bio="  Heart things  ", slot_minutes=20)
    assert (doctor.id, doctor.version, doctor.bio, doctor.slot_minutes, doctor.hours) == (
        clinic.doctor.user_id,
        1,
        "Heart things",
        20,
        (),
    )
    assert doctors.actions()[-1] == ("CREATE_DOCTOR", "doctor", "SUCCESS")
    with pytest.raises(DoctorAlreadyExists):
        await doctors.profile(clinic)


async def test_a_profile_needs_a_doctor_membership_in_that_clinic(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    south = await doctors.clinic("South")
    for user in (clinic.receptionist.user_id, south.doctor.user_id, doctors.world.ids.new_id()):
        with pytest.raises(ValidationFailed) as raised:
            await doctors.profile(clinic, user_id=user)
        assert set(raised.value.details or {}) == {"userId"}
    with pytest.raises(ValidationFailed) as raised:
        await doctors.profile(clinic, slot_minutes=5)
    assert set(raised.value.details or {}) == {"slotMinutes"}


async def test_only_clinic_admins_create_profiles_and_outsiders_are_denied_the_clinic(
    doctors: Doctors,
) -> None:
    clinic = await doctors.clinic("North")
    south = await doctors.clinic("South")
    command = CreateDoctorCommand(
        clinic_id=clinic.id, user_id=clinic.doctor.user_id, specialty="GP", licence_number="L"
    )
    for who in (clinic.doctor, clinic.receptionist, clinic.patient):
        with pytest.raises(InsufficientPermissions):
            await doctors.create()(command, who)
    with pytest.raises(ClinicAccessDenied):
        await doctors.create()(command, south.admin)
    with pytest.raises(DoctorNotFound):
        await doctors.get()(clinic.id, clinic.doctor.user_id, clinic.admin)


async def test_everyone_in_the_clinic_reads_doctors_and_outsiders_get_not_found(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    south = await doctors.clinic("South")
    doctor = await doctors.profile(clinic)
    for who in (clinic.admin, clinic.doctor, clinic.other_doctor, clinic.receptionist, clinic.patient):
        assert (await doctors.get()(clinic.id, doctor.id, who)).specialty == "Cardiology"
    for who, clinic_id in ((south.admin, clinic.id), (south.admin, south.id), (clinic.admin, south.id)):
        with pytest.raises(DoctorNotFound):
            await doctors.get()(clinic_id, doctor.id, who)
    with pytest.raises(DoctorNotFound):  # a doctor member without a profile
        await doctors.get()(clinic.id, clinic.other_doctor.user_id, clinic.admin)
    assert ("VIEW_DOCTORS", "doctor", "DENIED") in doctors.actions()


async def test_profile_changes_follow_the_policy(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    south = await doctors.clinic("South")
    doctor = await doctors.profile(clinic)

    def change(**fields: object) -> UpdateDoctorCommand:
        return UpdateDoctorCommand(clinic_id=clinic.id, doctor_id=doctor.id, **fields)  # type: ignore[arg-type]

    own = await doctors.update()(change(bio="Now with a bio", slot_minutes=15), clinic.doctor)
    assert (own.bio, own.slot_minutes, own.version) == ("Now with a bio", 15, 2)
    for admin_only in ({"licence_number": "LIC-2"}, {"active": False}):
        with pytest.raises(InsufficientPermissions):
            await doctors.update()(change(**admin_only), clinic.doctor)
    # Sending the licence number as it stands is no change: a read-modify-write client may.
    assert (await doctors.update()(change(licence_number="LIC-1", bio="Same"), clinic.doctor)).version == 3
    for who in (clinic.other_doctor, clinic.receptionist, clinic.patient):
        with pytest.raises(InsufficientPermissions):
            await doctors.update()(change(bio="Hijacked"), who)
    with pytest.raises(DoctorNotFound):
        await doctors.update()(change(bio="Hijacked"), south.admin)
    by_admin = await doctors.update()(change(licence_number="LIC-2", active=False), clinic.admin)
    assert (by_admin.licence_number, by_admin.active, by_admin.version) == ("LIC-2", False, 4)
    updates = [e for e in doctors.world.store.audit if e.action == "UPDATE_DOCTOR"]
    assert [(e.outcome, e.changed_fields) for e in updates if e.outcome is Outcome.SUCCESS] == [
        (Outcome.SUCCESS, ("bio", "slotMinutes")),
        (Outcome.SUCCESS, ("bio",)),
        (Outcome.SUCCESS, ("active", "licenceNumber")),
    ]
    unchanged = await doctors.update()(change(bio="Same"), clinic.doctor)
    assert unchanged.version == 4  # nothing changed, nothing written


async def test_a_stale_version_and_a_lost_race_are_version_conflicts(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    doctor = await doctors.profile(clinic)
    command = UpdateDoctorCommand(clinic_id=clinic.id, doctor_id=doctor.id, expected_version=1, bio="First")
    assert (await doctors.update()(command, clinic.admin)).version == 2
    with pytest.raises(VersionConflict):
        await doctors.update()(command, clinic.admin)
    # Two writers read version 2 and stage their change; the second to commit loses.
    uow_a, uow_b = doctors.uow(), doctors.uow()
    repo_a, repo_b = InMemoryDoctorRepository(uow_a), InMemoryDoctorRepository(uow_b)
    read_a, read_b = await repo_a.get(clinic.id, doctor.id), await repo_b.get(clinic.id, doctor.id)
    assert read_a is not None and read_b is not None
    await repo_a.update(revised(read_a, at=MONDAY, by=clinic.admin.user_id, bio="A"), expected_version=2)
    await repo_b.update(revised(read_b, at=MONDAY, by=clinic.admin.user_id, bio="B"), expected_version=2)
    await uow_a.commit()
    with pytest.raises(VersionConflict):
        await uow_b.commit()
    assert (await doctors.get()(clinic.id, doctor.id, clinic.admin)).bio == "A"


async def test_lists_are_keyset_pages_of_one_clinic(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    south = await doctors.clinic("South")
    await doctors.profile(clinic)
    await doctors.profile(clinic, of=clinic.other_doctor)
    await doctors.profile(south)
    first = await doctors.list()(clinic.id, PageRequest(limit=1), clinic.patient)
    second = await doctors.list()(clinic.id, PageRequest(limit=1, after=first.next_after), clinic.patient)
    ids = sorted([clinic.doctor.user_id, clinic.other_doctor.user_id])
    assert [d.id for d in first.items] == ids[:1] and [d.id for d in second.items] == ids[1:]
    assert second.next_after is None
    with pytest.raises(ClinicAccessDenied):
        await doctors.list()(clinic.id, PageRequest(), south.admin)


async def test_reads_are_cached_and_dropped_when_the_doctor_changes(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    doctor = await doctors.profile(clinic)
    listed = await doctors.list()(clinic.id, PageRequest(), clinic.patient)
    assert (await doctors.get()(clinic.id, doctor.id, clinic.patient)).bio is None
    assert (await doctors.get()(clinic.id, doctor.id, clinic.patient)).bio is None
    assert doctors.cache.stats().l1_hits >= 1
    await doctors.update()(
        UpdateDoctorCommand(clinic_id=clinic.id, doctor_id=doctor.id, bio="New"), clinic.admin
    )
    assert (await doctors.get()(clinic.id, doctor.id, clinic.patient)).bio == "New"
    assert [d.bio for d in (await doctors.list()(clinic.id, PageRequest(), clinic.patient)).items] == ["New"]
    assert [d.bio for d in listed.items] == [None]


# --- weekly schedules


async def test_a_doctor_sets_their_own_week_and_it_drives_free_slots(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    doctor = await doctors.profile(clinic)
    command = SetDoctorScheduleCommand(
        clinic_id=clinic.id,
        doctor_id=doctor.id,
        hours=(hours(clinic.location, 0, "09:00", "12:00"), hours(clinic.location, 0, "13:00", "15:00")),
        breaks=(WindowInput(weekday=0, start="10:00", end="10:30"),),
        slot_minutes=30,
        expected_version=1,
    )
    updated = await doctors.schedule()(command, clinic.doctor)
    assert updated.version == 2
    assert updated.hours[0].start == time(9) and updated.breaks[0].location_id is None
    read = await doctors.get()(clinic.id, doctor.id, clinic.patient)
    assert read.hours == updated.hours
    day = Interval(MONDAY, MONDAY + timedelta(days=1))
    slots = free_slots(read.schedule(), ZoneInfo("Europe/Berlin"), day, (), now=MONDAY)
    assert [s.local_start.strftime("%H:%M") for s in slots] == [
        "09:00",
        "09:30",
        "10:30",
        "11:00",
        "11:30",
        "13:00",
        "13:30",
        "14:00",
        "14:30",
    ]
    entry = doctors.world.store.audit[-1]
    assert (entry.action, entry.resource_id, entry.changed_fields) == (
        "SET_DOCTOR_SCHEDULE",
        str(doctor.id),
        ("hours", "breaks"),
    )
    with pytest.raises(VersionConflict):  # If-Match of the version before
        await doctors.schedule()(command, clinic.admin)


@pytest.mark.parametrize(
    ("windows", "breaks", "slot", "field"),
    [
        (
            [("here", 0, "09:00", "12:00"), ("elsewhere", 1, "09:00", "12:00")],
            [],
            None,
            "hours[1].locationId",
        ),
        ([("here", 0, "09:00", "12:00"), ("unknown", 1, "09:00", "12:00")], [], None, "hours[1].locationId"),
        ([("here", 0, "09:00", "12:00"), ("here", 0, "11:30", "14:00")], [], None, "hours[1]"),
        ([("here", 2, "09:00", "12:00"), ("here2", 2, "08:00", "09:30")], [], None, "hours[1]"),
        ([("here", 0, "09:00", "12:00")], [], 5, "slotMinutes"),
        ([("here", 0, "09:00", "12:00")], [], 121, "slotMinutes"),
        ([("here", 0, "9am", "12:00")], [], None, "hours[0].start"),
        ([("here", 0, "09:00", "24:00")], [], None, "hours[0].end"),
        ([("here", 0, "12:00", "09:00")], [], None, "hours[0]"),
        ([("here", 7, "09:00", "12:00")], [], None, "hours[0]"),
        ([("here", 0, "09:00", "12:00")], [(0, "12:00", "11:00")], None, "breaks[0]"),
    ],
)
async def test_schedules_are_validated_naming_the_window(
    doctors: Doctors, windows: list, breaks: list, slot: int | None, field: str
) -> None:
    clinic = await doctors.clinic("North")
    south = await doctors.clinic("South")
    doctor = await doctors.profile(clinic)
    uow = doctors.uow()
    second = await AddLocation(
        InMemoryClinicRepository(uow),
        InMemoryLocationRepository(uow),
        uow,
        doctors.world.clock,
        doctors.world.ids,
        doctors.audit(),
    )(AddLocationCommand(clinic_id=clinic.id, name="Annex", address="2 Quay"), doctors.root)
    places = {
        "here": clinic.location,
        "here2": second.id,
        "elsewhere": south.location,
        "unknown": doctors.world.ids.new_id(),
    }
    command = SetDoctorScheduleCommand(
        clinic_id=clinic.id,
        doctor_id=doctor.id,
        hours=tuple(hours(places[p], d, s, e) for p, d, s, e in windows),
        breaks=tuple(WindowInput(weekday=d, start=s, end=e) for d, s, e in breaks),
        slot_minutes=slot,
    )
    with pytest.raises(ValidationFailed) as raised:
        await doctors.schedule()(command, clinic.admin)
    assert list(raised.value.details or {}) == [field]
    assert (await doctors.get()(clinic.id, doctor.id, clinic.admin)).version == 1


async def test_only_the_doctor_and_admins_set_a_schedule(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    south = await doctors.clinic("South")
    doctor = await doctors.profile(clinic)
    command = SetDoctorScheduleCommand(
        clinic_id=clinic.id, doctor_id=doctor.id, hours=(hours(clinic.location),)
    )
    for who in (clinic.other_doctor, clinic.receptionist, clinic.patient):
        with pytest.raises(InsufficientPermissions):
            await doctors.schedule()(command, who)
    with pytest.raises(DoctorNotFound):
        await doctors.schedule()(command, south.admin)
    assert (await doctors.schedule()(command, clinic.admin)).version == 2


# --- time off


async def test_time_off_is_added_listed_and_removed(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    south = await doctors.clinic("South")
    doctor = await doctors.profile(clinic)
    await doctors.profile(south)
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 10, 8, 0, tzinfo=berlin)
    added = await doctors.add_time_off()(
        AddTimeOffCommand(
            clinic_id=clinic.id,
            doctor_id=doctor.id,
            starts_at=start,
            ends_at=start + timedelta(days=2),
            reason="Congress",
        ),
        clinic.doctor,
    )
    assert added.interval.start == datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    assert added.interval.start.tzinfo is UTC
    query = ListTimeOffQuery(clinic_id=clinic.id, doctor_id=doctor.id)
    assert [(p.id, p.reason) for p in await doctors.list_time_off()(query, clinic.admin)] == [
        (added.id, "Congress")
    ]
    # Other members see that the doctor is away, not why.
    assert [(p.id, p.reason) for p in await doctors.list_time_off()(query, clinic.patient)] == [
        (added.id, None)
    ]
    before = ListTimeOffQuery(
        clinic_id=clinic.id, doctor_id=doctor.id, starts=MONDAY, ends=datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    )
    assert await doctors.list_time_off()(before, clinic.admin) == []
    with pytest.raises(DoctorNotFound):
        await doctors.list_time_off()(query, south.admin)

    with pytest.raises(TimeOffNotFound):  # an id of this doctor asked under another clinic
        await doctors.remove_time_off()(south.id, south.doctor.user_id, added.id, south.admin)
    await doctors.profile(clinic, of=clinic.other_doctor)
    with pytest.raises(TimeOffNotFound):  # asked under another doctor of the clinic
        await doctors.remove_time_off()(clinic.id, clinic.other_doctor.user_id, added.id, clinic.admin)
    with pytest.raises(DoctorNotFound):
        await doctors.remove_time_off()(clinic.id, doctor.id, added.id, south.admin)
    with pytest.raises(InsufficientPermissions):
        await doctors.remove_time_off()(clinic.id, doctor.id, added.id, clinic.receptionist)
    await doctors.remove_time_off()(clinic.id, doctor.id, added.id, clinic.admin)
    assert await doctors.list_time_off()(query, clinic.admin) == []
    with pytest.raises(TimeOffNotFound):
        await doctors.remove_time_off()(clinic.id, doctor.id, added.id, clinic.admin)
    written = [(e.action, e.resource_id) for e in doctors.world.store.audit if e.outcome is Outcome.SUCCESS]
    assert ("ADD_TIME_OFF", str(doctor.id)) in written and ("REMOVE_TIME_OFF", str(doctor.id)) in written


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        (datetime(2026, 3, 10, 8), datetime(2026, 3, 11, 8), "startsAt"),
        (datetime(2026, 3, 10, 8, tzinfo=UTC), datetime(2026, 3, 11, 8), "endsAt"),
        (datetime(2026, 3, 10, 8, tzinfo=UTC), datetime(2026, 3, 10, 8, tzinfo=UTC), "endsAt"),
        (datetime(2026, 3, 10, 8, tzinfo=UTC), datetime(2027, 3, 12, 8, tzinfo=UTC), "endsAt"),
    ],
)
async def test_time_off_is_validated(
    doctors: Doctors, starts_at: datetime, ends_at: datetime, field: str
) -> None:
    clinic = await doctors.clinic("North")
    doctor = await doctors.profile(clinic)
    with pytest.raises(ValidationFailed) as raised:
        await doctors.add_time_off()(
            AddTimeOffCommand(clinic_id=clinic.id, doctor_id=doctor.id, starts_at=starts_at, ends_at=ends_at),
            clinic.admin,
        )
    assert list(raised.value.details or {}) == [field]


async def test_time_off_for_someone_else_or_a_missing_doctor_is_refused(doctors: Doctors) -> None:
    clinic = await doctors.clinic("North")
    doctor = await doctors.profile(clinic)
    command = AddTimeOffCommand(
        clinic_id=clinic.id, doctor_id=doctor.id, starts_at=MONDAY, ends_at=MONDAY + timedelta(hours=4)
    )
    for who in (clinic.other_doctor, clinic.receptionist, clinic.patient):
        with pytest.raises(InsufficientPermissions):
            await doctors.add_time_off()(command, who)
    with pytest.raises(DoctorNotFound):  # a DOCTOR member without a profile
        await doctors.add_time_off()(
            AddTimeOffCommand(
                clinic_id=clinic.id,
                doctor_id=clinic.other_doctor.user_id,
                starts_at=MONDAY,
                ends_at=MONDAY + timedelta(hours=4),
            ),
            clinic.other_doctor,
        )

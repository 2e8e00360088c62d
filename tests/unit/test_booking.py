"""Booking, holds and availability: the use cases over the memory adapters, with a hand-moved clock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import pytest
from memory_world import World, super_admin

from adapters.cache.local import MemoryCache
from adapters.memory.appointments import InMemoryAppointmentRepository
from adapters.memory.audit import InMemoryPhiReadAudit
from adapters.memory.consent import InMemoryConsentRepository, InMemoryEmergencyGrantRepository
from adapters.memory.doctors import InMemoryDoctorRepository, InMemoryTimeOffRepository
from adapters.memory.events import InMemoryEventOutbox
from adapters.memory.idempotency import InMemoryIdempotencyStore
from adapters.memory.repositories import (
    InMemoryClinicRepository,
    InMemoryLocationRepository,
    InMemoryMembershipRepository,
    InMemoryUserRepository,
)
from adapters.memory.uow import InMemoryUnitOfWork
from application.appointments.book_appointment import BookAppointment, BookAppointmentCommand, BookingPolicy
from application.appointments.confirm_hold import ConfirmAppointment
from application.appointments.disclosure import AppointmentDisclosure
from application.appointments.get_availability import GetAvailability, GetAvailabilityQuery
from application.appointments.lifecycle import AppointmentWrites, TransitionCommand
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.caching import CacheInvalidator, QueryCache
from application.clinics.add_location import AddLocation, AddLocationCommand
from application.clinics.create_clinic import CreateClinic, CreateClinicCommand
from application.members.add_member import AddMember, AddMemberCommand
from application.ports.uow import CommitListeners
from application.users.create_user import CreateUser, CreateUserCommand
from cache_support import ManualTime
from domain.access import Actor, ClinicRole
from domain.appointments import AppointmentStatus
from domain.audit_chain import UNCONFIGURED_KEY, ChainSealer
from domain.doctors import Doctor, TimeOff
from domain.errors import (
    AppointmentConflict,
    AppointmentHoldExpired,
    AppointmentSlotUnavailable,
    AppointmentTransitionNotAllowed,
    DoctorNotFound,
    IdempotencyKeyReused,
    LocationNotFound,
    PatientNotFound,
    ValidationFailed,
)
from domain.events import EventKind
from domain.identity import Role
from domain.scheduling import Interval, WeeklyWindow

MONDAY = date(2026, 3, 2)  # the clock starts on Sunday 2026-03-01 09:00 UTC


@dataclass
class Clinic:
    id: UUID
    zone: str
    location: UUID
    doctor: Actor
    other_doctor: Actor
    desk: Actor
    patient: Actor
    other_patient: Actor


class Booking:
    """A memory world whose units drop cached reads after commit, as the container wires it."""

    def __init__(self, world: World, clock: Any) -> None:
        self.world, self.clock = world, clock
        time_source = ManualTime()
        self.cache = MemoryCache(clock=time_source, monotonic=time_source)
        self.root = super_admin(world.ids)

    def audit(self) -> AuditEntries:
        return AuditEntries(self.clock, self.world.ids)

    def uow(self) -> InMemoryUnitOfWork:
        listeners = CommitListeners((CacheInvalidator(self.cache),))
        return InMemoryUnitOfWork(self.world.store, listeners, audit=self.audit())

    def book(self, hold_minutes: int = 10) -> BookAppointment:
        uow = self.uow()
        return BookAppointment(
            InMemoryClinicRepository(uow),
            InMemoryLocationRepository(uow),
            InMemoryMembershipRepository(uow),
            InMemoryDoctorRepository(uow),
            InMemoryTimeOffRepository(uow),
            InMemoryAppointmentRepository(uow),
            InMemoryIdempotencyStore(uow),
            InMemoryEventOutbox(uow),
            uow,
            self.clock,
            self.world.ids,
            self.audit(),
            BookingPolicy(hold=timedelta(minutes=hold_minutes)),
        )

    def confirm(self) -> ConfirmAppointment:
        uow = self.uow()
        disclosure = AppointmentDisclosure(
            InMemoryConsentRepository(uow),
            InMemoryEmergencyGrantRepository(uow),
            self.clock,
            self.audit(),
            InMemoryPhiReadAudit(self.world.store, ChainSealer(UNCONFIGURED_KEY)),
        )
        writes = AppointmentWrites(
            InMemoryAppointmentRepository(uow),
            InMemoryClinicRepository(uow),
            InMemoryEventOutbox(uow),
            uow,
            self.clock,
            self.world.ids,
            self.audit(),
            disclosure,
        )
        return ConfirmAppointment(writes)

    def availability(self) -> GetAvailability:
        uow = self.uow()
        return GetAvailability(
            InMemoryClinicRepository(uow),
            InMemoryLocationRepository(uow),
            InMemoryDoctorRepository(uow),
            InMemoryTimeOffRepository(uow),
            InMemoryAppointmentRepository(uow),
            self.clock,
            DeniedAttempts(uow, self.audit()),
            QueryCache(self.cache),
        )

    async def member(self, clinic_id: UUID, role: Role, name: str) -> Actor:
        uow = self.uow()
        user = await CreateUser(InMemoryUserRepository(uow), uow, self.clock, self.world.ids, self.audit())(
            CreateUserCommand(name=name, email=f"{name.replace(' ', '.')}@example.com"), self.root
        )
        uow = self.uow()
        await AddMember(
            InMemoryClinicRepository(uow),
            InMemoryUserRepository(uow),
            InMemoryLocationRepository(uow),
            InMemoryMembershipRepository(uow),
            uow,
            self.clock,
            self.audit(),
        )(AddMemberCommand(clinic_id=clinic_id, user_id=user.id, role=role.value), self.root)
        return Actor(user_id=user.id, memberships={clinic_id: ClinicRole(role)}, request_id="req")

    async def clinic(self, name: str, zone: str = "Europe/Berlin") -> Clinic:
        uow = self.uow()
        created = await CreateClinic(
            InMemoryClinicRepository(uow), uow, self.clock, self.world.ids, self.audit()
        )(CreateClinicCommand(name=name, time_zone=zone), self.root)
        uow = self.uow()
        location = await AddLocation(
            InMemoryClinicRepository(uow),
            InMemoryLocationRepository(uow),
            uow,
            self.clock,
            self.world.ids,
            self.audit(),
        )(AddLocationCommand(clinic_id=created.id, name="Main", address="1 Quay"), self.root)
        clinic = Clinic(
            id=created.id,
            zone=zone,
            location=location.id,
            doctor=await self.member(created.id, Role.DOCTOR, f"{name} doctor"),
            other_doctor=await self.member(created.id, Role.DOCTOR, f"{name} other doctor"),
            desk=await self.member(created.id, Role.RECEPTIONIST, f"{name} desk"),
            patient=await self.member(created.id, Role.PATIENT, f"{name} patient"),
            other_patient=await self.member(created.id, Role.PATIENT, f"{name} other patient"),
        )
        for doctor in (clinic.doctor, clinic.other_doctor):
            await self.profile(clinic, doctor, hours=[(d, "09:00", "17:00") for d in range(5)])
        return clinic

    async def profile(
        self,
        clinic: Clinic,
        doctor: Actor,
        *,
        hours: list[tuple[int, str, str]],
        slot_minutes: int = 30,
        active: bool = True,
    ) -> None:
        """The doctor's profile and weekly hours, written straight through the repository."""
        uow = self.uow()
        repository = InMemoryDoctorRepository(uow)
        now = self.clock.now()
        profile = Doctor(
            id=doctor.user_id,
            clinic_id=clinic.id,
            specialty="General practice",
            licence_number="LIC-1",
            slot_minutes=slot_minutes,
            hours=tuple(
                WeeklyWindow(day, time.fromisoformat(start), time.fromisoformat(end), clinic.location)
                for day, start, end in hours
            ),
            breaks=(WeeklyWindow(0, time(12), time(13)),),
            active=active,
            created_at=now,
            updated_at=now,
        )
        stored = await repository.get(clinic.id, doctor.user_id)
        if stored is None:
            await repository.add(profile)
        else:
            profile.version = stored.version + 1
            await repository.update(profile, expected_version=stored.version)
        await uow.commit()

    async def time_off(self, clinic: Clinic, doctor: Actor, start: datetime, end: datetime) -> None:
        uow = self.uow()
        await InMemoryTimeOffRepository(uow).add(
            TimeOff(
                id=self.world.ids.new_id(),
                clinic_id=clinic.id,
                doctor_id=doctor.user_id,
                interval=Interval(start, end),
                created_at=self.clock.now(),
            )
        )
        await uow.commit()

    def command(self, clinic: Clinic, start: datetime, **changes: object) -> BookAppointmentCommand:
        fields: dict = {
            "clinic_id": clinic.id,
            "location_id": clinic.location,
            "doctor_id": clinic.doctor.user_id,
            "patient_id": clinic.patient.user_id,
            "starts_at": start,
        }
        return BookAppointmentCommand(**(fields | changes))

    def events(self) -> list[tuple[EventKind, dict[str, str]]]:
        rows = self.world.store.table("domain_events").values()
        return [(row.event.kind, dict(row.event.data)) for row in rows]

    def actions(self) -> list[str]:
        return [e.action for e in self.world.store.audit]


@pytest.fixture
def booking(world: World, clock: Any) -> Booking:
    return Booking(world, clock)


def at(day: date, hh: int, mm: int = 0, zone: str = "Europe/Berlin") -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(zone)).astimezone(UTC)


# --- booking rules


async def test_a_patient_books_their_own_slot_of_the_doctors_length(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    start = at(MONDAY, 9)
    made = await booking.book()(booking.command(clinic, start, reason="Sore throat"), clinic.patient)
    a = made.view.appointment
    assert (a.status, a.starts_at, a.ends_at, a.reason, made.view.time_zone, made.replayed) == (
        AppointmentStatus.BOOKED,
        start,
        start + timedelta(minutes=30),
        "Sore throat",
        "Europe/Berlin",
        False,
    )
    assert booking.actions()[-1] == "BOOK_APPOINTMENT"
    [(kind, data)] = booking.events()
    assert kind is EventKind.APPOINTMENT_BOOKED
    assert data["startsAt"] == "2026-03-02T08:00:00Z" and data["doctorId"] == str(clinic.doctor.user_id)
    assert "Sore throat" not in repr(data)
    # The desk books for a patient too, for a duration of its own choosing.
    other = booking.command(
        clinic, at(MONDAY, 10), patient_id=clinic.other_patient.user_id, duration_minutes=45
    )
    longer = await booking.book()(other, clinic.desk)
    assert longer.view.appointment.ends_at - longer.view.appointment.starts_at == timedelta(minutes=45)


async def test_times_the_doctor_does_not_work_are_unavailable(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    book = booking.book()
    for start in (
        at(MONDAY, 8, 30),  # before the hours
        at(MONDAY, 16, 45),  # runs past the end of the day
        at(MONDAY, 12, 15),  # in the lunch break
        at(MONDAY + timedelta(days=5), 10),  # Saturday
        booking.clock.now() - timedelta(hours=1),  # the past
    ):
        with pytest.raises(AppointmentSlotUnavailable):
            await book(booking.command(clinic, start), clinic.patient)
    await booking.time_off(clinic, clinic.doctor, at(MONDAY, 14), at(MONDAY, 16))
    with pytest.raises(AppointmentSlotUnavailable):
        await booking.book()(booking.command(clinic, at(MONDAY, 15)), clinic.patient)
    assert booking.events() == []


async def test_overlaps_with_the_doctor_or_the_patient_conflict(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    await booking.book()(booking.command(clinic, at(MONDAY, 9)), clinic.patient)
    # The doctor is busy, whoever the patient.
    with pytest.raises(AppointmentConflict):
        other = booking.command(clinic, at(MONDAY, 9, 15), patient_id=clinic.other_patient.user_id)
        await booking.book()(other, clinic.desk)
    # The patient is busy, whichever the doctor.
    with pytest.raises(AppointmentConflict):
        await booking.book()(
            booking.command(clinic, at(MONDAY, 9), doctor_id=clinic.other_doctor.user_id), clinic.patient
        )
    # Back to back is fine.
    after = booking.command(clinic, at(MONDAY, 9, 30), patient_id=clinic.other_patient.user_id)
    assert (await booking.book()(after, clinic.desk)).view.appointment.status is AppointmentStatus.BOOKED


async def test_who_and_what_may_be_booked(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    elsewhere = await booking.clinic("South")
    slot = at(MONDAY, 11)
    refusals = [
        (
            booking.command(clinic, slot, patient_id=clinic.other_patient.user_id),
            clinic.patient,
            PatientNotFound,
        ),
        (booking.command(clinic, slot), elsewhere.desk, PatientNotFound),
        (booking.command(clinic, slot, patient_id=clinic.desk.user_id), clinic.desk, PatientNotFound),
        (booking.command(clinic, slot, doctor_id=clinic.desk.user_id), clinic.patient, DoctorNotFound),
        (booking.command(clinic, slot, doctor_id=elsewhere.doctor.user_id), clinic.patient, DoctorNotFound),
        (booking.command(clinic, slot, location_id=elsewhere.location), clinic.patient, LocationNotFound),
        (booking.command(clinic, slot, duration_minutes=4), clinic.patient, ValidationFailed),
        (booking.command(clinic, slot.replace(tzinfo=None)), clinic.patient, ValidationFailed),
        (booking.command(clinic, slot, idempotency_key="bad key"), clinic.patient, ValidationFailed),
    ]
    for command, actor, error in refusals:
        with pytest.raises(error):
            await booking.book()(command, actor)
    await booking.profile(clinic, clinic.doctor, hours=[(0, "09:00", "17:00")], active=False)
    with pytest.raises(DoctorNotFound):
        await booking.book()(booking.command(clinic, slot), clinic.patient)
    assert booking.events() == []


# --- holds


async def test_a_hold_blocks_the_slot_until_confirmed_or_lapsed(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    held = await booking.book(hold_minutes=10)(
        booking.command(clinic, at(MONDAY, 9), hold=True), clinic.patient
    )
    hold = held.view.appointment
    assert hold.status is AppointmentStatus.HELD
    assert hold.hold_expires_at == booking.clock.now() + timedelta(minutes=10)
    assert booking.actions()[-1] == "HOLD_APPOINTMENT"
    other = booking.command(clinic, at(MONDAY, 9), patient_id=clinic.other_patient.user_id)
    with pytest.raises(AppointmentConflict):
        await booking.book()(other, clinic.desk)
    booking.clock.advance(minutes=9)
    confirmed = await booking.confirm()(TransitionCommand(appointment_id=hold.id), clinic.patient)
    assert confirmed.appointment.status is AppointmentStatus.BOOKED
    assert confirmed.appointment.hold_expires_at is None and confirmed.appointment.version == 2
    with pytest.raises(AppointmentTransitionNotAllowed):
        await booking.confirm()(TransitionCommand(appointment_id=hold.id), clinic.patient)
    booking.clock.advance(minutes=60)  # a booking does not lapse
    with pytest.raises(AppointmentConflict):
        await booking.book()(other, clinic.desk)
    kinds = [kind for kind, _ in booking.events()]
    assert kinds == [EventKind.APPOINTMENT_HELD, EventKind.APPOINTMENT_CONFIRMED]


async def test_a_lapsed_hold_cannot_be_confirmed_and_frees_its_slot(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    held = await booking.book()(booking.command(clinic, at(MONDAY, 9), hold=True), clinic.patient)
    booking.clock.advance(minutes=10)
    with pytest.raises(AppointmentHoldExpired):
        await booking.confirm()(TransitionCommand(appointment_id=held.view.appointment.id), clinic.patient)
    other = booking.command(clinic, at(MONDAY, 9), patient_id=clinic.other_patient.user_id)
    taken = await booking.book()(other, clinic.desk)
    assert taken.view.appointment.status is AppointmentStatus.BOOKED
    with pytest.raises(AppointmentHoldExpired):
        await booking.confirm()(TransitionCommand(appointment_id=held.view.appointment.id), clinic.patient)


# --- idempotency


async def test_the_same_key_answers_the_first_booking_and_refuses_another_request(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    command = booking.command(clinic, at(MONDAY, 9), reason="Check-up", idempotency_key="k-1")
    first = await booking.book()(command, clinic.patient)
    again = await booking.book()(command, clinic.patient)
    assert again.replayed and again.view.appointment == first.view.appointment
    with pytest.raises(IdempotencyKeyReused):
        await booking.book()(booking.command(clinic, at(MONDAY, 10), idempotency_key="k-1"), clinic.patient)
    # Another caller's key of the same name is theirs alone.
    mine = booking.command(
        clinic, at(MONDAY, 10), patient_id=clinic.other_patient.user_id, idempotency_key="k-1"
    )
    assert not (await booking.book()(mine, clinic.other_patient)).replayed
    assert [kind for kind, _ in booking.events()] == [EventKind.APPOINTMENT_BOOKED] * 2


# --- availability


def _query(
    clinic: Clinic, start: datetime, end: datetime, doctor: Actor | None = None
) -> GetAvailabilityQuery:
    return GetAvailabilityQuery(
        clinic_id=clinic.id, doctor_id=(doctor or clinic.doctor).user_id, starts_from=start, starts_before=end
    )


async def test_availability_is_hours_minus_breaks_time_off_and_bookings_and_never_stale(
    booking: Booking,
) -> None:
    clinic = await booking.clinic("North")
    day = _query(clinic, at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))
    slots = (await booking.availability()(day, clinic.patient)).slots
    assert len(slots) == 14  # 09:00-17:00 in 30-minute slots, minus the lunch hour
    assert slots[0].start == at(MONDAY, 9) and slots[0].local_start == datetime(2026, 3, 2, 9, 0)
    assert at(MONDAY, 12) not in [s.start for s in slots]
    await booking.book()(booking.command(clinic, at(MONDAY, 9)), clinic.patient)  # cached before this
    held = booking.command(clinic, at(MONDAY, 10), patient_id=clinic.other_patient.user_id, hold=True)
    await booking.book()(held, clinic.desk)
    await booking.time_off(clinic, clinic.doctor, at(MONDAY, 16), at(MONDAY, 17))
    # Time off is written by the doctors' use cases, which drop the doctor's tag themselves.
    await booking.cache.invalidate_tags(f"doctor:{clinic.doctor.user_id}")
    starts = [s.start for s in (await booking.availability()(day, clinic.desk)).slots]
    assert at(MONDAY, 9) not in starts and at(MONDAY, 10) not in starts and at(MONDAY, 16) not in starts
    assert len(starts) == 14 - 4
    # The other doctor's availability is untouched by those writes.
    others = await booking.availability()(
        _query(clinic, day.starts_from, day.starts_before, clinic.other_doctor), clinic.desk
    )
    assert len(others.slots) == 14


async def test_availability_drops_a_booked_slot_at_once(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    day = _query(clinic, at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))
    assert at(MONDAY, 11) in [s.start for s in (await booking.availability()(day, clinic.patient)).slots]
    await booking.book()(booking.command(clinic, at(MONDAY, 11)), clinic.patient)
    assert at(MONDAY, 11) not in [s.start for s in (await booking.availability()(day, clinic.patient)).slots]


async def test_availability_refuses_long_or_inverted_ranges_and_outsiders(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    elsewhere = await booking.clinic("South")
    start = at(MONDAY, 0)
    for end in (start + timedelta(days=31, seconds=1), start, start - timedelta(days=1)):
        with pytest.raises(ValidationFailed) as refused:
            await booking.availability()(_query(clinic, start, end), clinic.patient)
        assert "to" in refused.value.details
    assert (
        len(
            (
                await booking.availability()(
                    _query(clinic, start, start + timedelta(days=31)), clinic.patient
                )
            ).slots
        )
        > 0
    )
    with pytest.raises(DoctorNotFound):
        await booking.availability()(_query(clinic, start, start + timedelta(days=1)), elsewhere.doctor)
    with pytest.raises(DoctorNotFound):
        await booking.availability()(
            _query(clinic, start, start + timedelta(days=1), clinic.desk), clinic.patient
        )
    with pytest.raises(LocationNotFound):
        query = GetAvailabilityQuery(
            clinic_id=clinic.id,
            doctor_id=clinic.doctor.user_id,
            starts_from=start,
            starts_before=start + timedelta(days=1),
            location_id=elsewhere.location,
        )
        await booking.availability()(query, clinic.patient)


async def test_past_slots_are_not_offered(booking: Booking) -> None:
    clinic = await booking.clinic("North")
    booking.clock.current = at(MONDAY, 10, 5)
    day = _query(clinic, at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))
    assert (await booking.availability()(day, clinic.patient)).slots[0].start == at(MONDAY, 10, 30)


# --- daylight saving: both 2026 transitions, in Berlin and in New York

DST_NIGHTS = [
    # zone, the Sunday, local start times of 60-minute slots between 01:00 and 05:00 that night
    ("Europe/Berlin", date(2026, 3, 29), ["01:00", "03:00", "04:00"]),
    ("Europe/Berlin", date(2026, 10, 25), ["01:00", "02:00", "02:00", "03:00", "04:00"]),
    ("America/New_York", date(2026, 3, 8), ["01:00", "03:00", "04:00"]),
    ("America/New_York", date(2026, 11, 1), ["01:00", "01:00", "02:00", "03:00", "04:00"]),
]


@pytest.mark.parametrize(("zone", "night", "local_starts"), DST_NIGHTS)
async def test_availability_and_booking_across_daylight_saving(
    booking: Booking, zone: str, night: date, local_starts: list[str]
) -> None:
    clinic = await booking.clinic("Night", zone=zone)
    await booking.profile(clinic, clinic.doctor, hours=[(6, "01:00", "05:00")], slot_minutes=60)
    span = _query(clinic, at(night, 0, zone=zone), at(night + timedelta(days=1), 0, zone=zone))
    slots = (await booking.availability()(span, clinic.patient)).slots
    assert [s.local_start.strftime("%H:%M") for s in slots] == local_starts
    assert all(b.start - a.start == timedelta(hours=1) for a, b in itertools.pairwise(slots))
    assert slots[-1].end == at(night, 5, zone=zone)  # the doctor's last hour ends at 05:00 local
    # Book the slot right after the jump, then every other one: each taken slot leaves the list.
    second = slots[1]
    made = await booking.book()(booking.command(clinic, second.start), clinic.patient)
    assert made.view.appointment.ends_at - made.view.appointment.starts_at == timedelta(hours=1)
    left = (await booking.availability()(span, clinic.patient)).slots
    assert [s.start for s in left] == [s.start for s in slots if s.start != second.start]
    with pytest.raises(AppointmentSlotUnavailable):  # an hour past the doctor's last one
        await booking.book()(booking.command(clinic, slots[-1].end), clinic.desk)
    with pytest.raises(AppointmentConflict):
        other = booking.command(
            clinic,
            second.start + timedelta(minutes=30),
            patient_id=clinic.other_patient.user_id,
            duration_minutes=30,
        )
        await booking.book()(other, clinic.desk)

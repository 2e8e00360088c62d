"""The appointment lifecycle over the memory adapters: the state machine as a table, who may do
what, reschedule atomicity, events and audit entries, reads and lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from memory_world import World

from adapters.memory.appointments import InMemoryAppointmentRepository
from adapters.memory.audit import InMemoryPhiReadAudit
from adapters.memory.consent import InMemoryConsentRepository, InMemoryEmergencyGrantRepository
from adapters.memory.doctors import InMemoryDoctorRepository, InMemoryTimeOffRepository
from adapters.memory.events import InMemoryEventOutbox
from adapters.memory.repositories import InMemoryClinicRepository
from adapters.memory.uow import InMemoryUnitOfWork
from application.appointments.cancel_appointment import CancelAppointment, CancelAppointmentCommand
from application.appointments.check_in_appointment import CheckInAppointment
from application.appointments.complete_appointment import CompleteAppointment
from application.appointments.disclosure import AppointmentDisclosure
from application.appointments.get_appointment import GetAppointment, GetAppointmentQuery
from application.appointments.lifecycle import AppointmentWrites, TransitionCommand
from application.appointments.list_appointments import ListAppointments, ListAppointmentsQuery
from application.appointments.mark_no_show import MarkNoShow
from application.appointments.reschedule_appointment import (
    RescheduleAppointment,
    RescheduleAppointmentCommand,
)
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.ports.appointments import AppointmentRepository
from application.ports.uow import CommitListener, CommitListeners
from domain.access import Actor, ClinicRole
from domain.appointments import Appointment, AppointmentStatus, Cancellation
from domain.audit import AuditEntry, Outcome
from domain.audit_chain import UNCONFIGURED_KEY, ChainSealer
from domain.clinics import Clinic
from domain.consent import ConsentRecord, ConsentScope
from domain.doctors import Doctor, TimeOff
from domain.errors import (
    AppointmentConflict,
    AppointmentHoldExpired,
    AppointmentNotFound,
    AppointmentSlotUnavailable,
    AppointmentTransitionNotAllowed,
    ClinicAccessDenied,
    InsufficientPermissions,
    ValidationFailed,
    VersionConflict,
)
from domain.events import DomainEvent, EventKind
from domain.identity import Role
from domain.scheduling import Interval, WeeklyWindow

S = AppointmentStatus
HOME, AWAY = uuid4(), uuid4()
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # the clock starts on Sunday 2026-03-01 09:00 UTC


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


@dataclass
class Touched(CommitListener):
    tags: list[str] = field(default_factory=list)

    async def committed(self, entries: Sequence[AuditEntry], touched: Sequence[str] = ()) -> None:
        self.tags.extend(touched)


class Clinical:
    """One clinic (UTC) with a doctor working 08:00-12:00 at HOME and 13:00-17:00 at AWAY every
    day, its people, and the lifecycle use cases built over a fresh unit per call."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.clinic = uuid4()
        self.doctor = self.actor(Role.DOCTOR)
        self.desk = self.actor(Role.RECEPTIONIST)
        self.admin = self.actor(Role.CLINIC_ADMIN)
        self.patient = self.actor(Role.PATIENT)
        self.other_patient = self.actor(Role.PATIENT)
        self.outsider = Actor(user_id=uuid4(), memberships={uuid4(): ClinicRole(Role.DOCTOR)})
        self.away_desk = self.actor(Role.RECEPTIONIST, frozenset({AWAY}))
        self.touched = Touched()
        self.race: Any = None  # called inside update, before staging: a concurrent writer

    def actor(self, role: Role, locations: frozenset[UUID] = frozenset()) -> Actor:
        return Actor(user_id=uuid4(), memberships={self.clinic: ClinicRole(role, locations)}, request_id="r")

    def uow(self) -> InMemoryUnitOfWork:
        audit = AuditEntries(self.world.clock, self.world.ids)
        return InMemoryUnitOfWork(self.world.store, CommitListeners((self.touched,)), audit=audit)

    def cases(self) -> SimpleNamespace:
        w, uow = self.world, self.uow()
        audit = AuditEntries(w.clock, w.ids)
        appointments: AppointmentRepository = (
            RacingRepository(uow, self) if self.race else InMemoryAppointmentRepository(uow)
        )
        clinics = InMemoryClinicRepository(uow)
        disclosure = AppointmentDisclosure(
            InMemoryConsentRepository(uow),
            InMemoryEmergencyGrantRepository(uow),
            w.clock,
            audit,
            InMemoryPhiReadAudit(w.store, ChainSealer(UNCONFIGURED_KEY)),
        )
        writes = AppointmentWrites(
            appointments, clinics, InMemoryEventOutbox(uow), uow, w.clock, w.ids, audit, disclosure
        )
        denied = DeniedAttempts(uow, audit)
        return SimpleNamespace(
            get=GetAppointment(appointments, clinics, disclosure, denied),
            list=ListAppointments(appointments, clinics, disclosure, denied),
            cancel=CancelAppointment(writes),
            check_in=CheckInAppointment(writes),
            complete=CompleteAppointment(writes),
            no_show=MarkNoShow(writes),
            reschedule=RescheduleAppointment(
                writes, InMemoryDoctorRepository(uow), InMemoryTimeOffRepository(uow)
            ),
        )

    async def setup(self) -> None:
        uow = self.uow()
        now = self.world.clock.now()
        await InMemoryClinicRepository(uow).add(
            Clinic(id=self.clinic, name="Clinic", time_zone="UTC", created_at=now, updated_at=now)
        )
        hours = tuple(WeeklyWindow(d, time(8), time(12), HOME) for d in range(7)) + tuple(
            WeeklyWindow(d, time(13), time(17), AWAY) for d in range(7)
        )
        await InMemoryDoctorRepository(uow).add(
            Doctor(
                id=self.doctor.user_id,
                clinic_id=self.clinic,
                specialty="GP",
                licence_number="L-1",
                hours=hours,
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()

    async def book(
        self,
        start: datetime,
        *,
        status: S = S.BOOKED,
        patient: Actor | None = None,
        minutes: int = 30,
        location: UUID = HOME,
        reason: str | None = "Persistent cough",
        doctor: UUID | None = None,
    ) -> Appointment:
        now = self.world.clock.now()
        by = (patient or self.patient).user_id
        appointment = Appointment(
            id=self.world.ids.new_id(),
            clinic_id=self.clinic,
            location_id=location,
            doctor_id=doctor or self.doctor.user_id,
            patient_id=by,
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            status=status,
            reason=reason,
            hold_expires_at=now + timedelta(minutes=10) if status is S.HELD else None,
            cancellation=Cancellation(reason="Feeling better", by=by, at=now)
            if status is S.CANCELLED
            else None,
            created_at=now,
            created_by=by,
            updated_at=now,
            updated_by=by,
        )
        uow = self.uow()
        await InMemoryAppointmentRepository(uow).add(appointment, now=now)
        await uow.commit()
        return appointment

    async def stored(self, appointment: Appointment) -> Appointment:
        found = await InMemoryAppointmentRepository(self.uow()).get(self.clinic, appointment.id)
        assert found is not None
        return found

    async def events(self) -> list[DomainEvent]:
        return list(await InMemoryEventOutbox(self.uow()).unpublished(limit=1000))

    def audit(self, action: str | None = None) -> list[AuditEntry]:
        return [e for e in self.world.store.audit if action is None or e.action == action]

    async def consent(self, patient: Actor) -> None:
        uow = self.uow()
        await InMemoryConsentRepository(uow).add(
            ConsentRecord(
                id=uuid4(),
                clinic_id=self.clinic,
                patient_id=patient.user_id,
                scope=ConsentScope.TREATMENT,
                recorded_at=self.world.clock.now(),
                recorded_by=self.desk.user_id,
            )
        )
        await uow.commit()


class RacingRepository(InMemoryAppointmentRepository):
    """Lets a concurrent writer commit between the use case's checks and its write."""

    def __init__(self, uow: InMemoryUnitOfWork, clinical: Clinical) -> None:
        super().__init__(uow)
        self._clinical = clinical

    async def update(self, appointment: Appointment, *, expected_version: int, now: datetime) -> None:
        race, self._clinical.race = self._clinical.race, None
        if race is not None:
            await race()
        await super().update(appointment, expected_version=expected_version, now=now)


@pytest.fixture
async def c(world: World) -> Clinical:
    clinical = Clinical(world)
    await clinical.setup()
    return clinical


def command(name: str, appointment: Appointment, **extra: Any) -> Any:
    if name == "cancel":
        return CancelAppointmentCommand(appointment_id=appointment.id, reason="Travelling", **extra)
    if name == "reschedule":
        return RescheduleAppointmentCommand(appointment_id=appointment.id, starts_at=at(11), **extra)
    return TransitionCommand(appointment_id=appointment.id, **extra)


# -- the state machine as a table ----------------------------------------------------------------

TRANSITIONS = ("check_in", "complete", "no_show", "cancel", "reschedule")
ALLOWED = {
    (S.HELD, "cancel"): S.CANCELLED,
    (S.HELD, "reschedule"): S.HELD,
    (S.BOOKED, "check_in"): S.CHECKED_IN,
    (S.BOOKED, "cancel"): S.CANCELLED,
    (S.BOOKED, "no_show"): S.NO_SHOW,
    (S.BOOKED, "reschedule"): S.BOOKED,
    (S.CHECKED_IN, "complete"): S.COMPLETED,
    (S.CHECKED_IN, "cancel"): S.CANCELLED,
    (S.CHECKED_IN, "no_show"): S.NO_SHOW,
}
EVENTS = {
    "check_in": EventKind.APPOINTMENT_CHECKED_IN,
    "complete": EventKind.APPOINTMENT_COMPLETED,
    "no_show": EventKind.APPOINTMENT_NO_SHOW,
    "cancel": EventKind.APPOINTMENT_CANCELLED,
    "reschedule": EventKind.APPOINTMENT_RESCHEDULED,
}
AUDITED = {
    "check_in": "CHECK_IN_APPOINTMENT",
    "complete": "COMPLETE_APPOINTMENT",
    "no_show": "MARK_NO_SHOW",
    "cancel": "CANCEL_APPOINTMENT",
    "reschedule": "RESCHEDULE_APPOINTMENT",
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("transition", TRANSITIONS)
async def test_every_status_and_transition(c: Clinical, status: S, transition: str) -> None:
    appointment = await c.book(at(9), status=status)
    use_case = getattr(c.cases(), transition)
    target = ALLOWED.get((status, transition))
    if target is None:
        with pytest.raises(AppointmentTransitionNotAllowed) as refused:
            await use_case(command(transition, appointment), c.doctor)
        assert refused.value.details == {"status": status.value, "transition": transition}
        assert await c.stored(appointment) == appointment
        assert await c.events() == [] and c.audit(AUDITED[transition]) == []
        return
    view = await use_case(command(transition, appointment), c.doctor)
    stored = await c.stored(appointment)
    assert view.appointment.status is stored.status is target
    assert stored.version == appointment.version + 1
    [event] = await c.events()
    assert event.kind is EVENTS[transition] and event.subject_id == appointment.id
    assert event.data["status"] == target.value and event.data["previousStatus"] == status.value
    [entry] = c.audit(AUDITED[transition])
    assert (entry.resource_type, entry.resource_id, entry.patient_id) == (
        "appointment",
        str(appointment.id),
        appointment.patient_id,
    )
    assert f"doctor:{appointment.doctor_id}" in c.touched.tags


async def test_a_lapsed_hold_can_be_released_but_not_moved(c: Clinical) -> None:
    held = await c.book(at(9), status=S.HELD)
    c.world.clock.advance(minutes=11)  # type: ignore[attr-defined]
    with pytest.raises(AppointmentHoldExpired):
        await c.cases().reschedule(command("reschedule", held), c.doctor)
    released = await c.cases().cancel(command("cancel", held), c.doctor)
    assert released.appointment.status is S.CANCELLED


# -- who may do what -----------------------------------------------------------------------------

OK, FORBIDDEN, MISSING = "ok", "403", "404"
WHO = ("doctor", "desk", "admin", "patient", "other_patient", "outsider", "away_desk")
ROLES = {
    #             doctor desk       admin      own patient other patient outsider away desk
    "get": (OK, OK, FORBIDDEN, OK, MISSING, MISSING, MISSING),
    "cancel": (OK, OK, FORBIDDEN, OK, MISSING, MISSING, MISSING),
    "reschedule": (OK, OK, FORBIDDEN, OK, MISSING, MISSING, MISSING),
    "check_in": (OK, OK, FORBIDDEN, FORBIDDEN, MISSING, MISSING, MISSING),
    "no_show": (OK, OK, FORBIDDEN, FORBIDDEN, MISSING, MISSING, MISSING),
    "complete": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, MISSING, MISSING, MISSING),
}


@pytest.mark.parametrize(
    ("action", "who", "expected"),
    [(action, who, outcome) for action, row in ROLES.items() for who, outcome in zip(WHO, row, strict=True)],
)
async def test_roles_per_transition(c: Clinical, action: str, who: str, expected: str) -> None:
    appointment = await c.book(at(9), status=S.CHECKED_IN if action == "complete" else S.BOOKED)
    actor: Actor = getattr(c, who)
    cases = c.cases()
    call = (
        cases.get(GetAppointmentQuery(appointment_id=appointment.id), actor)
        if action == "get"
        else getattr(cases, action)(command(action, appointment), actor)
    )
    if expected == OK:
        await call
        return
    error = InsufficientPermissions if expected == FORBIDDEN else AppointmentNotFound
    with pytest.raises(error):
        await call
    assert await c.stored(appointment) == appointment
    if who != "outsider":  # the outsider is not in this clinic: there is nothing to name there
        denied = [e for e in c.audit() if e.outcome is Outcome.DENIED]
        assert len(denied) == 1 and denied[0].actor_id == actor.user_id


async def test_staff_cannot_move_an_appointment_past_their_locations(c: Clinical) -> None:
    appointment = await c.book(at(14), location=AWAY)
    with pytest.raises(InsufficientPermissions):  # they see it, at AWAY, but may not move it HOME
        await c.cases().reschedule(
            RescheduleAppointmentCommand(appointment_id=appointment.id, starts_at=at(10), location_id=HOME),
            c.away_desk,
        )
    assert await c.stored(appointment) == appointment


# -- reschedule ----------------------------------------------------------------------------------


async def test_reschedule_moves_the_slot_and_says_where_from(c: Clinical) -> None:
    appointment = await c.book(at(9))
    view = await c.cases().reschedule(
        RescheduleAppointmentCommand(appointment_id=appointment.id, starts_at=at(9, 15), duration_minutes=45),
        c.patient,
    )
    moved = await c.stored(appointment)
    assert (moved.starts_at, moved.ends_at, moved.status) == (at(9, 15), at(10), S.BOOKED)
    assert view.appointment == moved
    [event] = await c.events()
    assert event.kind is EventKind.APPOINTMENT_RESCHEDULED
    assert {k: event.data[k] for k in ("previousStartsAt", "previousEndsAt", "startsAt", "endsAt")} == {
        "previousStartsAt": "2026-03-02T09:00:00Z",
        "previousEndsAt": "2026-03-02T09:30:00Z",
        "startsAt": "2026-03-02T09:15:00Z",
        "endsAt": "2026-03-02T10:00:00Z",
    }
    [entry] = c.audit("RESCHEDULE_APPOINTMENT")
    assert entry.changed_fields == ("ends_at", "starts_at")
    # The old slot is free again: someone else can take 09:00.
    await c.book(at(8, 45), patient=c.other_patient)


async def test_reschedule_into_a_taken_slot_changes_nothing(c: Clinical) -> None:
    mine = await c.book(at(9))
    theirs = await c.book(at(10), patient=c.other_patient)
    with pytest.raises(AppointmentConflict):
        await c.cases().reschedule(
            RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=at(10, 15)), c.desk
        )
    assert await c.stored(mine) == mine and await c.stored(theirs) == theirs
    assert await c.events() == [] and c.audit("RESCHEDULE_APPOINTMENT") == []


async def test_reschedule_loses_a_race_for_the_new_slot_and_keeps_the_old_one(c: Clinical) -> None:
    mine = await c.book(at(9))
    taken: list[Appointment] = []

    async def someone_books_eleven() -> None:  # commits after our checks passed, before our write
        taken.append(await c.book(at(11), patient=c.other_patient))

    c.race = someone_books_eleven
    with pytest.raises(AppointmentConflict):
        await c.cases().reschedule(
            RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=at(11)), c.desk
        )
    assert taken and await c.stored(mine) == mine
    assert await c.events() == [] and c.audit("RESCHEDULE_APPOINTMENT") == []
    with pytest.raises(AppointmentConflict):  # the old slot is still held
        await c.book(at(9, 10), patient=c.other_patient)


async def test_reschedule_conflicts_with_the_patients_other_appointments(c: Clinical) -> None:
    mine = await c.book(at(9))
    await c.book(at(11), doctor=uuid4())  # the same patient, with another doctor
    with pytest.raises(AppointmentConflict):
        await c.cases().reschedule(
            RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=at(11)), c.patient
        )
    assert await c.stored(mine) == mine


@pytest.mark.parametrize(
    ("starts_at", "location"),
    [
        (at(7, 30), None),  # before hours
        (at(11, 45), None),  # runs past the end of the window
        (at(14), None),  # working then, but at AWAY
        (datetime(2026, 3, 1, 8, tzinfo=UTC), None),  # in the past
    ],
)
async def test_reschedule_outside_bookable_time_is_unavailable(
    c: Clinical, starts_at: datetime, location: UUID | None
) -> None:
    mine = await c.book(at(9))
    with pytest.raises(AppointmentSlotUnavailable):
        await c.cases().reschedule(
            RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=starts_at, location_id=location),
            c.desk,
        )
    assert await c.stored(mine) == mine


async def test_reschedule_to_another_location_and_into_time_off(c: Clinical) -> None:
    mine = await c.book(at(9))
    moved = await c.cases().reschedule(
        RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=at(14), location_id=AWAY), c.desk
    )
    assert moved.appointment.location_id == AWAY
    uow = c.uow()
    await InMemoryTimeOffRepository(uow).add(
        TimeOff(
            id=uuid4(),
            clinic_id=c.clinic,
            doctor_id=c.doctor.user_id,
            interval=Interval(at(0, day=1), at(23, day=1)),
            created_at=c.world.clock.now(),
        )
    )
    await uow.commit()
    with pytest.raises(AppointmentSlotUnavailable):
        await c.cases().reschedule(
            RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=at(9, day=1), location_id=HOME),
            c.desk,
        )


async def test_reschedule_input_and_if_match(c: Clinical) -> None:
    mine = await c.book(at(9))
    reschedule = c.cases().reschedule
    with pytest.raises(ValidationFailed) as naive:
        await reschedule(
            RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=datetime(2026, 3, 2, 10)), c.desk
        )
    assert naive.value.details is not None and set(naive.value.details) == {"startsAt"}
    with pytest.raises(ValidationFailed) as long:
        await reschedule(
            RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=at(10), duration_minutes=600),
            c.desk,
        )
    assert long.value.details is not None and set(long.value.details) == {"durationMinutes"}
    with pytest.raises(VersionConflict):
        await reschedule(
            RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=at(10), expected_version=7), c.desk
        )
    moved = await reschedule(
        RescheduleAppointmentCommand(appointment_id=mine.id, starts_at=at(10), expected_version=1), c.desk
    )
    assert moved.appointment.version == 2


# -- events and audit never carry the patient's words ----------------------------------------------


async def test_cancel_records_who_and_why_but_the_event_carries_no_reason(c: Clinical) -> None:
    mine = await c.book(at(9))
    view = await c.cases().cancel(
        CancelAppointmentCommand(appointment_id=mine.id, reason="Travelling"), c.patient
    )
    stored = await c.stored(mine)
    assert stored.cancellation is not None
    assert (stored.cancellation.reason, stored.cancellation.by) == ("Travelling", c.patient.user_id)
    assert view.appointment.cancellation == stored.cancellation  # the patient reads their own words
    [event] = await c.events()
    assert event.data["cancelledBy"] == str(c.patient.user_id) and event.data["cancelledByRole"] == "PATIENT"
    assert not any("Travelling" in v or "cough" in v for v in event.data.values())
    # The slot is free again.
    await c.book(at(9), patient=c.other_patient)


# -- reads: the patient's words behind the PHI basis -------------------------------------------------


async def test_reads_show_the_reason_only_on_a_phi_basis_and_are_audited(c: Clinical) -> None:
    mine = await c.book(at(9))
    query = GetAppointmentQuery(appointment_id=mine.id)
    own = await c.cases().get(query, c.patient)
    assert own.appointment.reason == "Persistent cough" and own.time_zone == "UTC"
    desk = await c.cases().get(query, c.desk)
    assert desk.appointment.reason is None and desk.appointment.starts_at == mine.starts_at
    await c.consent(c.patient)
    assert (await c.cases().get(query, c.desk)).appointment.reason == "Persistent cough"
    actions = [e.action for e in c.audit() if e.resource_type == "appointment"]
    assert actions == ["VIEW_APPOINTMENT_SELF", "VIEW_APPOINTMENT_SCHEDULE", "VIEW_APPOINTMENT_CONSENT"]
    assert {e.patient_id for e in c.audit() if e.resource_type == "appointment"} == {c.patient.user_id}


async def test_a_write_answer_withholds_the_reason_without_a_basis(c: Clinical) -> None:
    mine = await c.book(at(9))
    view = await c.cases().check_in(TransitionCommand(appointment_id=mine.id), c.desk)
    assert view.appointment.reason is None and view.appointment.status is S.CHECKED_IN
    assert (await c.stored(mine)).reason == "Persistent cough"


async def test_another_clinics_appointment_is_not_found(c: Clinical, world: World) -> None:
    elsewhere = Clinical(world)
    await elsewhere.setup()
    theirs = await elsewhere.book(at(9))
    with pytest.raises(AppointmentNotFound):
        await c.cases().get(GetAppointmentQuery(appointment_id=theirs.id), c.doctor)
    with pytest.raises(AppointmentNotFound):
        await c.cases().cancel(command("cancel", theirs), c.doctor)
    with pytest.raises(AppointmentNotFound):
        await c.cases().get(
            GetAppointmentQuery(appointment_id=theirs.id, clinic_id=elsewhere.clinic), c.doctor
        )


# -- lists ---------------------------------------------------------------------------------------


async def test_lists_run_in_time_order_page_by_page(c: Clinical) -> None:
    booked = [await c.book(at(h, day=d), patient=c.actor(Role.PATIENT)) for d in (2, 0, 1) for h in (10, 8)]
    expected = sorted(booked, key=lambda a: (a.starts_at, a.id))
    seen: list[UUID] = []
    after = None
    for _ in range(4):
        page = await c.cases().list(ListAppointmentsQuery(clinic_id=c.clinic, limit=4, after=after), c.doctor)
        seen += [a.id for a in page.items]
        after = page.next_after
        if after is None:
            break
    assert seen == [a.id for a in expected]
    day = await c.cases().list(
        ListAppointmentsQuery(clinic_id=c.clinic, starts_from=at(0, day=1), starts_before=at(0, day=2)),
        c.doctor,
    )
    assert [a.starts_at for a in day.items] == [at(8, day=1), at(10, day=1)] and day.next_after is None


async def test_list_filters_and_scopes(c: Clinical) -> None:
    mine = await c.book(at(9))
    theirs = await c.book(at(10), patient=c.other_patient)
    away = await c.book(at(14), patient=c.other_patient, location=AWAY)
    cancelled = await c.book(at(11), status=S.CANCELLED, patient=c.other_patient)

    async def ids(who: Actor, **filters: Any) -> list[UUID]:
        page = await c.cases().list(ListAppointmentsQuery(clinic_id=c.clinic, **filters), who)
        return [a.id for a in page.items]

    assert await ids(c.doctor) == [mine.id, theirs.id, cancelled.id, away.id]
    assert await ids(c.patient) == [mine.id]
    assert await ids(c.patient, patient_id=c.other_patient.user_id) == []
    assert await ids(c.doctor, patient_id=c.other_patient.user_id, status="cancelled") == [cancelled.id]
    assert await ids(c.doctor, location_id=AWAY) == [away.id]
    assert await ids(c.away_desk) == [away.id]
    assert await ids(c.away_desk, location_id=HOME) == []
    assert await ids(c.doctor, doctor_id=uuid4()) == []
    await c.consent(c.other_patient)  # a list is a schedule: no words for staff, consent or not
    page = await c.cases().list(ListAppointmentsQuery(clinic_id=c.clinic), c.desk)
    assert len(page.items) == 4 and all(a.reason is None for a in page.items)
    own = await c.cases().list(ListAppointmentsQuery(clinic_id=c.clinic), c.patient)
    assert [a.reason for a in own.items] == ["Persistent cough"]
    assert len([e for e in c.audit() if e.action == "VIEW_APPOINTMENT_SCHEDULE"]) >= 4
    with pytest.raises(ClinicAccessDenied):
        await c.cases().list(ListAppointmentsQuery(clinic_id=c.clinic), c.outsider)
    with pytest.raises(InsufficientPermissions):
        await c.cases().list(ListAppointmentsQuery(clinic_id=c.clinic), c.admin)
    for bad in ({"limit": 101}, {"status": "LOST"}, {"starts_from": at(10), "starts_before": at(9)}):
        with pytest.raises(ValidationFailed):
            await c.cases().list(ListAppointmentsQuery(clinic_id=c.clinic, **bad), c.doctor)

"""Appointment and prescription reads through a real cache (MemoryCache) over the memory adapters:
a second read is a hit (counted by the cache), every read still checks access on the cached object
and is audited as a PHI read, writes drop what they changed after commit, a correction drops the
corrected version (its supersededBy changes), and a lapsing hold needs no write to be seen lapsed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from memory_world import World

from adapters.cache.local import MemoryCache
from adapters.memory.appointments import InMemoryAppointmentRepository
from adapters.memory.audit import InMemoryPhiReadAudit
from adapters.memory.consent import InMemoryConsentRepository, InMemoryEmergencyGrantRepository
from adapters.memory.events import InMemoryEventOutbox
from adapters.memory.idempotency import InMemoryIdempotencyStore
from adapters.memory.prescriptions import InMemoryPrescriptionRepository
from adapters.memory.repositories import InMemoryClinicRepository, InMemoryMembershipRepository
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.security.document_links import HmacDocumentLinks
from application.appointments.cancel_appointment import CancelAppointment, CancelAppointmentCommand
from application.appointments.confirm_hold import ConfirmAppointment
from application.appointments.disclosure import AppointmentDisclosure
from application.appointments.get_appointment import GetAppointment, GetAppointmentQuery
from application.appointments.lifecycle import AppointmentWrites, TransitionCommand
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.caching import CacheInvalidator, QueryCache, tags_written
from application.consent.record_consent import RecordConsent, RecordConsentCommand
from application.consent.revoke_consent import RevokeConsent
from application.ports.cache import CachePolicy, CacheStats, Compliance
from application.ports.uow import CommitListeners
from application.prescriptions.common import LinkPolicy
from application.prescriptions.correct_prescription import CorrectPrescription, CorrectPrescriptionCommand
from application.prescriptions.get_prescription import GetPrescription
from application.prescriptions.issue_prescription import IssuePrescription, IssuePrescriptionCommand
from cache_support import ManualTime
from domain.access import Actor, ClinicRole
from domain.appointments import Appointment, AppointmentStatus
from domain.audit import AuditEntry, Outcome
from domain.audit_chain import UNCONFIGURED_KEY, ChainSealer
from domain.clinics import Clinic
from domain.consent import ConsentRecord, ConsentScope
from domain.errors import (
    AppointmentHoldExpired,
    AppointmentNotFound,
    InsufficientPermissions,
    PrescriptionNotFound,
)
from domain.identity import Membership, Role
from domain.prescriptions import MedicationLine

S = AppointmentStatus
HOME, AWAY = uuid4(), uuid4()
MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
AMOXICILLIN = MedicationLine(name="Amoxicillin", dosage="500 mg", frequency="3x daily", duration_days=7)


class Clinical:
    """One clinic, its people, and the clinical use cases built per call (one call, one request)
    over one memory store, with one cache that every unit of work invalidates after commit, as
    the container wires it."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.history_reads = 0  # consent histories read from the store (CountingConsents)
        self.time = ManualTime()  # the cache's clock: it does not move unless a test says so
        self.cache = MemoryCache(clock=self.time, monotonic=self.time)
        self.clinic = uuid4()
        self.doctor = self.actor(Role.DOCTOR)
        self.desk = self.actor(Role.RECEPTIONIST)
        self.admin = self.actor(Role.CLINIC_ADMIN)
        self.patient = self.actor(Role.PATIENT)
        self.other_patient = self.actor(Role.PATIENT)
        self.away_desk = self.actor(Role.RECEPTIONIST, frozenset({AWAY}))
        self.outsider = Actor(user_id=uuid4(), memberships={uuid4(): ClinicRole(Role.DOCTOR)}, request_id="r")

    def actor(self, role: Role, locations: frozenset[UUID] = frozenset()) -> Actor:
        return Actor(user_id=uuid4(), memberships={self.clinic: ClinicRole(role, locations)}, request_id="r")

    def stats(self) -> CacheStats:
        return self.cache.stats()

    def audit(self, action: str | None = None) -> list[AuditEntry]:
        return [e for e in self.world.store.audit if action is None or e.action == action]

    def _entries(self) -> AuditEntries:
        return AuditEntries(self.world.clock, self.world.ids)

    def uow(self) -> InMemoryUnitOfWork:
        listeners = CommitListeners((CacheInvalidator(self.cache),))
        return InMemoryUnitOfWork(self.world.store, listeners, audit=self._entries())

    def _disclosure(self, uow: InMemoryUnitOfWork, *, cached_consents: bool = False) -> AppointmentDisclosure:
        consents = CountingConsents(uow, self)
        return AppointmentDisclosure(
            consents,
            InMemoryEmergencyGrantRepository(uow),
            self.world.clock,
            self._entries(),
            InMemoryPhiReadAudit(self.world.store, ChainSealer(UNCONFIGURED_KEY)),
            *([QueryCache(self.cache)] if cached_consents else []),
        )

    def get_appointment(self, *, cached_consents: bool = False) -> GetAppointment:
        uow = self.uow()
        return GetAppointment(
            InMemoryAppointmentRepository(uow),
            InMemoryClinicRepository(uow),
            self._disclosure(uow, cached_consents=cached_consents),
            DeniedAttempts(uow, self._entries()),
            QueryCache(self.cache),
        )

    def writes(self) -> AppointmentWrites:
        w, uow = self.world, self.uow()
        return AppointmentWrites(
            InMemoryAppointmentRepository(uow), InMemoryClinicRepository(uow), InMemoryEventOutbox(uow),
            uow, w.clock, w.ids, self._entries(), self._disclosure(uow),
        )  # fmt: skip

    def get_prescription(self) -> GetPrescription:
        uow = self.uow()
        return GetPrescription(
            InMemoryPrescriptionRepository(uow), InMemoryConsentRepository(uow),
            InMemoryEmergencyGrantRepository(uow), self.world.clock, self._entries(),
            InMemoryPhiReadAudit(self.world.store, ChainSealer(UNCONFIGURED_KEY)),
            DeniedAttempts(uow, self._entries()), QueryCache(self.cache),
        )  # fmt: skip

    def _rx(self) -> dict[str, Any]:
        uow = self.uow()
        return {
            "uow": uow,
            "consents": InMemoryConsentRepository(uow),
            "grants": InMemoryEmergencyGrantRepository(uow),
            "appointments": InMemoryAppointmentRepository(uow),
            "prescriptions": InMemoryPrescriptionRepository(uow),
            "events": InMemoryEventOutbox(uow),
            "links": HmacDocumentLinks(b"unit-test-link-secret-0123456789abcdef"),
            "policy": LinkPolicy(),
        }

    def issue(self) -> IssuePrescription:
        p, w = self._rx(), self.world
        return IssuePrescription(
            InMemoryMembershipRepository(p["uow"]), p["consents"], p["grants"], p["appointments"],
            p["prescriptions"], InMemoryIdempotencyStore(p["uow"]), p["events"], p["links"], p["policy"],
            p["uow"], w.clock, w.ids, self._entries(),
        )  # fmt: skip

    def correct(self) -> CorrectPrescription:
        p, w = self._rx(), self.world
        return CorrectPrescription(
            p["consents"], p["grants"], p["appointments"], p["prescriptions"], p["events"], p["links"],
            p["policy"], p["uow"], w.clock, w.ids, self._entries(),
        )  # fmt: skip

    async def setup(self) -> None:
        uow = self.uow()
        now = self.world.clock.now()
        await InMemoryClinicRepository(uow).add(
            Clinic(id=self.clinic, name="Clinic", time_zone="UTC", created_at=now, updated_at=now)
        )
        memberships = InMemoryMembershipRepository(uow)
        for person in (self.doctor, self.desk, self.admin, self.patient, self.other_patient):
            role = person.role_in(self.clinic) or Role.PATIENT
            await memberships.add(
                Membership(clinic_id=self.clinic, user_id=person.user_id, role=role, created_at=now)
            )
        await uow.commit()

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

    async def book(self, *, status: S = S.BOOKED, reason: str = "Persistent cough") -> Appointment:
        now = self.world.clock.now()
        by = self.patient.user_id
        appointment = Appointment(
            id=self.world.ids.new_id(),
            clinic_id=self.clinic,
            location_id=HOME,
            doctor_id=self.doctor.user_id,
            patient_id=by,
            starts_at=MONDAY,
            ends_at=MONDAY + timedelta(minutes=30),
            status=status,
            reason=reason,
            hold_expires_at=now + timedelta(minutes=10) if status is S.HELD else None,
            created_at=now,
            created_by=by,
            updated_at=now,
            updated_by=by,
        )
        uow = self.uow()
        await InMemoryAppointmentRepository(uow).add(appointment, now=now)
        await uow.commit()
        return appointment


class CountingConsents(InMemoryConsentRepository):
    def __init__(self, uow: InMemoryUnitOfWork, clinical: Clinical) -> None:
        super().__init__(uow)
        self._clinical = clinical

    async def history(self, clinic_id: UUID, patient_id: UUID) -> Any:
        self._clinical.history_reads += 1
        return await super().history(clinic_id, patient_id)


@pytest.fixture
async def c(world: World) -> Clinical:
    clinical = Clinical(world)
    await clinical.setup()
    return clinical


# -- appointments ------------------------------------------------------------------------------


async def test_a_second_appointment_read_is_a_hit_and_is_audited_and_disclosed_again(c: Clinical) -> None:
    booked = await c.book()
    query = GetAppointmentQuery(appointment_id=booked.id)
    desk = await c.get_appointment()(query, c.desk)  # no consent: the words are withheld
    # Each read also reads the appointment's clinic (its time zone), cached alike: two loads.
    assert desk.appointment.reason is None and c.stats().loader_calls == 2
    own = await c.get_appointment()(query, c.patient)  # a hit: the cached object kept the words
    assert own.appointment.reason == "Persistent cough"
    await c.consent(c.patient)
    consented = await c.get_appointment()(query, c.desk)
    assert consented.appointment.reason == "Persistent cough"
    stats = c.stats()
    assert (stats.loader_calls, stats.l1_hits) == (2, 4)
    actions = [e.action for e in c.audit() if e.resource_type == "appointment"]
    assert actions == ["VIEW_APPOINTMENT_SCHEDULE", "VIEW_APPOINTMENT_SELF", "VIEW_APPOINTMENT_CONSENT"]


async def test_the_phi_gate_reads_a_cached_consent_history_that_every_consent_write_drops(
    c: Clinical,
) -> None:
    booked = await c.book()
    query = GetAppointmentQuery(appointment_id=booked.id)

    async def words() -> str | None:
        return (await c.get_appointment(cached_consents=True)(query, c.desk)).appointment.reason

    def uow_parts() -> tuple[InMemoryUnitOfWork, InMemoryConsentRepository]:
        uow = c.uow()
        return uow, InMemoryConsentRepository(uow)

    assert await words() is None and await words() is None  # no consent: withheld
    assert c.history_reads == 1  # the second read used the cached (empty) history
    uow, consents = uow_parts()
    recorded = await RecordConsent(
        InMemoryMembershipRepository(uow), consents, uow, c.world.clock, c.world.ids, c._entries()
    )(RecordConsentCommand(clinic_id=c.clinic, patient_id=c.patient.user_id, scope="treatment"), c.desk)
    assert await words() == "Persistent cough"  # the next read sees the consent
    assert await words() == "Persistent cough" and c.history_reads == 2
    uow, consents = uow_parts()
    await RevokeConsent(consents, uow, c.world.clock, c.world.ids, c._entries())(
        c.clinic, c.patient.user_id, recorded.id, c.desk
    )
    assert await words() is None  # withdrawn: the very next read withholds the words again
    assert c.history_reads == 3


async def test_a_caller_cannot_change_the_cached_appointment(c: Clinical) -> None:
    booked = await c.book()
    query = GetAppointmentQuery(appointment_id=booked.id)
    mine = await c.get_appointment()(query, c.patient)
    mine.appointment.reason = "Changed by one caller"
    again = await c.get_appointment()(query, c.patient)
    assert again.appointment.reason == "Persistent cough" and c.stats().l1_hits == 2  # and its clinic


async def test_a_write_drops_the_cached_appointment(c: Clinical) -> None:
    booked = await c.book()
    query = GetAppointmentQuery(appointment_id=booked.id)
    assert (await c.get_appointment()(query, c.patient)).appointment.status is S.BOOKED
    await CancelAppointment(c.writes())(
        CancelAppointmentCommand(appointment_id=booked.id, reason="Travelling"), c.patient
    )
    after = await c.get_appointment()(query, c.patient)
    assert after.appointment.status is S.CANCELLED and after.appointment.version == 2
    assert c.stats().loader_calls == 3  # the appointment again; its clinic was not written
    assert (await c.get_appointment()(query, c.patient)).appointment.status is S.CANCELLED
    assert c.stats().loader_calls == 3  # cached again


@pytest.mark.parametrize("who", ["other_patient", "away_desk", "outsider", "admin"])
async def test_who_may_not_see_it_is_refused_on_a_warm_cache_and_audited(c: Clinical, who: str) -> None:
    booked = await c.book()
    query = GetAppointmentQuery(appointment_id=booked.id)
    await c.get_appointment()(query, c.doctor)  # warm
    refused = AppointmentNotFound if who != "admin" else InsufficientPermissions
    with pytest.raises(refused):
        await c.get_appointment()(query, getattr(c, who))
    with pytest.raises(refused):  # the same with the clinic named in the query
        await c.get_appointment()(
            GetAppointmentQuery(appointment_id=booked.id, clinic_id=c.clinic), getattr(c, who)
        )
    # They were refused on the cached object; an outsider only ever looks in their own clinics.
    assert c.stats().l1_hits == (0 if who == "outsider" else 2)
    shown = [e for e in c.audit() if e.resource_type == "appointment" and e.outcome is Outcome.SUCCESS]
    assert [e.actor_id for e in shown] == [c.doctor.user_id]  # nothing disclosed to them
    if who != "outsider":  # an outsider never reached the appointment: nothing of it to audit
        assert len([e for e in c.audit() if e.outcome is Outcome.DENIED]) == 2


async def test_a_cached_hold_is_seen_lapsed_once_it_expires_without_any_write(c: Clinical) -> None:
    held = await c.book(status=S.HELD)
    query = GetAppointmentQuery(appointment_id=held.id)
    first = await c.get_appointment()(query, c.patient)
    assert first.appointment.is_active(c.world.clock.now())
    c.world.clock.advance(minutes=11)  # type: ignore[attr-defined]
    later = await c.get_appointment()(query, c.patient)
    assert c.stats().l1_hits == 2  # the cached object (and clinic), as the database would answer it
    assert later.appointment.status is S.HELD and not later.appointment.is_active(c.world.clock.now())
    with pytest.raises(AppointmentHoldExpired):
        await ConfirmAppointment(c.writes())(TransitionCommand(appointment_id=held.id), c.patient)


async def test_a_confirmed_hold_is_read_booked_next(c: Clinical) -> None:
    held = await c.book(status=S.HELD)
    query = GetAppointmentQuery(appointment_id=held.id)
    await c.get_appointment()(query, c.patient)
    await ConfirmAppointment(c.writes())(TransitionCommand(appointment_id=held.id), c.patient)
    after = await c.get_appointment()(query, c.patient)
    assert after.appointment.status is S.BOOKED and after.appointment.hold_expires_at is None


# -- prescriptions -------------------------------------------------------------------------------


async def _issued(c: Clinical) -> UUID:
    await c.consent(c.patient)
    issued = await c.issue()(
        IssuePrescriptionCommand(
            clinic_id=c.clinic, patient_id=c.patient.user_id, medications=(AMOXICILLIN,), notes="Review"
        ),
        c.doctor,
    )
    return issued.prescription.id


async def test_a_second_prescription_read_is_a_hit_and_is_audited_again(c: Clinical) -> None:
    first_id = await _issued(c)
    by_doctor = await c.get_prescription()(first_id, c.doctor)
    by_patient = await c.get_prescription()(first_id, c.patient)
    assert by_doctor == by_patient and by_patient.content.notes == "Review"
    stats = c.stats()
    assert (stats.loader_calls, stats.l1_hits) == (1, 1)
    reads = [e for e in c.audit("VIEW_PRESCRIPTION") if e.resource_id == str(first_id)]
    assert [e.actor_id for e in reads] == [c.doctor.user_id, c.patient.user_id]


async def test_a_correction_drops_the_corrected_versions_entry(c: Clinical) -> None:
    first_id = await _issued(c)
    assert (await c.get_prescription()(first_id, c.doctor)).superseded_by is None
    corrected = await c.correct()(
        CorrectPrescriptionCommand(prescription_id=first_id, medications=(AMOXICILLIN,), notes="Fixed"),
        c.doctor,
    )
    second_id = corrected.prescription.id
    assert (await c.get_prescription()(first_id, c.doctor)).superseded_by == second_id
    assert (await c.get_prescription()(second_id, c.doctor)).version == 2
    assert (await c.get_prescription()(first_id, c.patient)).superseded_by == second_id
    assert c.stats().loader_calls == 3 and c.stats().l1_hits == 1


async def test_who_may_not_read_a_prescription_is_refused_on_a_warm_cache(c: Clinical) -> None:
    first_id = await _issued(c)
    await c.get_prescription()(first_id, c.doctor)  # warm
    with pytest.raises(PrescriptionNotFound):
        await c.get_prescription()(first_id, c.other_patient)
    with pytest.raises(PrescriptionNotFound):
        await c.get_prescription()(first_id, c.outsider)
    with pytest.raises(InsufficientPermissions):
        await c.get_prescription()(first_id, c.desk)
    assert c.stats().l1_hits == 2  # the patient and the desk, refused on the cached version
    reads = [e for e in c.audit() if e.action.startswith("VIEW_PRESCRIPTION")]
    assert [e.actor_id for e in reads if e.outcome is Outcome.SUCCESS] == [c.doctor.user_id]


class Recording(MemoryCache):
    """A MemoryCache that keeps the key and policy of every read it was asked for."""

    def __init__(self, time: ManualTime) -> None:
        super().__init__(clock=time, monotonic=time)
        self.asked: list[tuple[str, CachePolicy]] = []

    async def get_or_load(self, key: str, loader: Any, policy: CachePolicy, **kwargs: Any) -> Any:
        self.asked.append((key, policy))
        return await super().get_or_load(key, loader, policy, **kwargs)


async def test_clinical_reads_are_cached_as_phi_keyed_by_clinic_and_id(c: Clinical) -> None:
    c.cache = recording = Recording(c.time)
    booked = await c.book()
    await c.get_appointment()(GetAppointmentQuery(appointment_id=booked.id), c.patient)
    first_id = await _issued(c)
    await c.get_prescription()(first_id, c.patient)
    clinical = [(key, policy) for key, policy in recording.asked if not key.startswith("clinic:")]
    assert [key for key, _ in recording.asked if key.startswith("clinic:")] == [f"clinic:{c.clinic}"]
    assert [key for key, _ in clinical] == [
        f"appointment:{c.clinic}:{booked.id}",
        f"prescription:{c.clinic}:{first_id}",
    ]
    for _, policy in clinical:  # sensitive: encrypted before it leaves the process
        assert policy.compliance is Compliance.SENSITIVE and policy.ttl > 0
    assert [policy.tags for _, policy in clinical] == [
        (f"appointment:{booked.id}",),
        (f"prescription:{first_id}",),
    ]


def test_prescription_writes_name_the_version_they_wrote() -> None:
    entry = AuditEntry(
        id=uuid4(),
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        actor_id=uuid4(),
        action="CORRECT_PRESCRIPTION",
        resource_type="prescription",
        resource_id="p2",
        clinic_id=uuid4(),
        request_id=None,
    )
    assert tags_written([entry]) == ("prescription:p2",)
    read = AuditEntry(**{**_fields(entry), "action": "VIEW_PRESCRIPTION"})
    assert tags_written([read]) == ()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in entry.__dataclass_fields__}

"""Prescriptions: the domain rules (validation, canonical hash, versions) and the use cases on memory."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from memory_world import World

from adapters.memory.appointments import InMemoryAppointmentRepository
from adapters.memory.audit import InMemoryPhiReadAudit
from adapters.memory.consent import InMemoryConsentRepository, InMemoryEmergencyGrantRepository
from adapters.memory.events import InMemoryEventOutbox
from adapters.memory.idempotency import InMemoryIdempotencyStore
from adapters.memory.prescriptions import InMemoryPrescriptionRepository
from adapters.memory.tenancy import InMemoryTenantScope
from adapters.security.document_links import HmacDocumentLinks
from application.audit.denials import DeniedAttempts
from application.pagination import PageRequest
from application.prescriptions.common import LinkPolicy
from application.prescriptions.correct_prescription import CorrectPrescription, CorrectPrescriptionCommand
from application.prescriptions.get_prescription import GetPrescription
from application.prescriptions.issue_prescription import IssuePrescription, IssuePrescriptionCommand
from application.prescriptions.list_prescriptions import ListPrescriptions, ListPrescriptionsQuery
from application.prescriptions.open_prescription_document import OpenDocumentQuery, OpenPrescriptionDocument
from application.prescriptions.verify_prescription import VerifyPrescription
from domain.access import Actor, ClinicRole
from domain.appointments import Appointment, AppointmentStatus
from domain.audit_chain import UNCONFIGURED_KEY, ChainSealer
from domain.consent import ConsentRecord, ConsentScope, EmergencyGrant
from domain.errors import (
    AppointmentNotFound,
    ConsentExpired,
    DocumentLinkInvalid,
    IdempotencyKeyReused,
    InsufficientPermissions,
    PatientNotFound,
    PrescriptionNotFound,
    PrescriptionSuperseded,
    ValidationFailed,
)
from domain.events import EventKind
from domain.identity import Membership, Role
from domain.prescriptions import (
    MedicationLine,
    Prescription,
    PrescriptionContent,
    canonical_encoding,
    content_hash,
)

SECRET = b"unit-test-link-secret-0123456789abcdef"
AMOXICILLIN = MedicationLine(
    name="Amoxicillin", dosage="500 mg", frequency="3x daily", duration_days=7, instructions="With food"
)


# ---------------------------------------------------------------- domain


def _content(*lines: MedicationLine, notes: Any = None, salt: str = "0" * 32) -> PrescriptionContent:
    return PrescriptionContent.of(lines or (AMOXICILLIN,), notes, salt=salt)


def _issued(**changes: Any) -> Prescription:
    fields: dict[str, Any] = {
        "id": UUID("01900000-0000-7000-8000-000000000001"),
        "clinic_id": UUID("01900000-0000-7000-8000-0000000000c1"),
        "patient_id": UUID("01900000-0000-7000-8000-0000000000a1"),
        "prescriber_id": UUID("01900000-0000-7000-8000-0000000000d1"),
        "appointment_id": None,
        "content": _content(notes="Café — take it easy"),
        "issued_at": datetime(2026, 3, 1, 9, 0, 0, 120, tzinfo=UTC),
    }
    return Prescription.issue(**(fields | changes))


def test_the_canonical_encoding_is_sorted_compact_utf8_json_without_floats() -> None:
    prescription = _issued()
    encoded = canonical_encoding(prescription)
    text = encoded.decode("utf-8")
    assert "Café — take it easy" in text  # written as itself, not as \u escapes
    assert ", " not in text and ": " not in text
    document = json.loads(text)
    assert list(document) == sorted(document)
    assert list(document["medications"][0]) == sorted(document["medications"][0])
    assert document["issued_at"] == "2026-03-01T09:00:00.000120Z"
    assert document["format"] == "prescription/v1"
    assert document["medications"][0]["duration_days"] == 7
    assert prescription.content_hash == hashlib.sha256(encoded).hexdigest() == content_hash(prescription)


def test_the_hash_is_stable_across_equal_inputs_and_time_zones() -> None:
    berlin = _issued(issued_at=datetime(2026, 3, 1, 10, 0, 0, 120, tzinfo=UTC).astimezone())
    utc = _issued(issued_at=datetime(2026, 3, 1, 10, 0, 0, 120, tzinfo=UTC))
    assert berlin.content_hash == utc.content_hash
    decomposed = _issued(content=_content(notes="Cafe\u0301 — take it easy"))
    assert decomposed.content_hash == _issued().content_hash  # NFC before hashing


def test_the_salt_keeps_equal_content_from_giving_equal_hashes() -> None:
    assert _issued(content=_content(salt="1" * 32)).content_hash != _issued().content_hash


def test_every_field_is_covered_by_the_hash() -> None:
    original = _issued()
    for change in (
        {"patient_id": UUID(int=1)},
        {"prescriber_id": UUID(int=2)},
        {"appointment_id": UUID(int=3)},
        {"version": 2},
        {"lineage_id": UUID(int=4)},
        {"previous_hash": "f" * 64},
        {"issued_at": original.issued_at + timedelta(microseconds=1)},
        {"content": _content(notes="other")},
        {"content": _content(dataclasses.replace(AMOXICILLIN, duration_days=8))},
    ):
        tampered = dataclasses.replace(original, **change)
        assert not tampered.is_intact(), change
    assert original.is_intact()


def test_validation_names_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _content(
            AMOXICILLIN,
            MedicationLine(name=" ", dosage="x" * 101, frequency="dai\x07ly", duration_days=1.0),
            MedicationLine(name="Ibuprofen", dosage="200 mg", frequency="daily", duration_days=366),
            notes="x" * 4001,
        )
    assert refused.value.details == {
        "medications[1].name": "expected 1 to 200 characters",
        "medications[1].dosage": "expected 1 to 100 characters",
        "medications[1].frequency": "contains control or unassigned characters",
        "medications[1].durationDays": "expected a whole number of days from 1 to 365",
        "medications[2].durationDays": "expected a whole number of days from 1 to 365",
        "notes": "expected 1 to 4000 characters",
    }


@pytest.mark.parametrize("count", [0, 21])
def test_a_prescription_lists_1_to_20_medications(count: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        PrescriptionContent.of((AMOXICILLIN,) * count, None, salt="0" * 32)
    assert refused.value.details == {"medications": "expected 1 to 20 medications"}
    assert len(PrescriptionContent.of((AMOXICILLIN,) * 20, None, salt="0" * 32).medications) == 20


def test_a_correction_chains_to_the_version_it_corrects() -> None:
    first = _issued()
    second = first.correct(
        id=UUID(int=9),
        prescriber_id=UUID(int=8),
        appointment_id=None,
        content=_content(),
        issued_at=first.issued_at,
    )
    assert (second.lineage_id, second.version, second.previous_id) == (first.id, 2, first.id)
    assert second.previous_hash == first.content_hash and second.is_intact()
    with pytest.raises(PrescriptionSuperseded):
        dataclasses.replace(first, superseded_by=second.id).correct(
            id=UUID(int=10),
            prescriber_id=UUID(int=8),
            appointment_id=None,
            content=_content(),
            issued_at=first.issued_at,
        )


# ---------------------------------------------------------------- use cases


@dataclass
class Clinic:
    id: UUID
    doctor: Actor
    patient: Actor
    receptionist: Actor
    other_patient: Actor


class Rx:
    """The prescription use cases over one memory store; each call is one request."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.links = HmacDocumentLinks(SECRET)
        self.policy = LinkPolicy(ttl=timedelta(hours=72))
        self.sealer = ChainSealer(UNCONFIGURED_KEY)

    def _parts(self) -> dict[str, Any]:
        unit = self.world.unit()
        return {
            "unit": unit,
            "consents": InMemoryConsentRepository(unit.uow),
            "grants": InMemoryEmergencyGrantRepository(unit.uow),
            "appointments": InMemoryAppointmentRepository(unit.uow),
            "prescriptions": InMemoryPrescriptionRepository(unit.uow),
            "phi_reads": InMemoryPhiReadAudit(self.world.store, self.sealer),
            "denied": DeniedAttempts(unit.uow, unit.audit),
        }

    def issue(self) -> IssuePrescription:
        p = self._parts()
        u = p["unit"]
        return IssuePrescription(
            u.memberships, p["consents"], p["grants"], p["appointments"], p["prescriptions"],
            InMemoryIdempotencyStore(u.uow), InMemoryEventOutbox(u.uow), self.links, self.policy,
            u.uow, u.clock, u.ids, u.audit,
        )  # fmt: skip

    def correct(self) -> CorrectPrescription:
        p = self._parts()
        u = p["unit"]
        return CorrectPrescription(
            p["consents"], p["grants"], p["appointments"], p["prescriptions"], InMemoryEventOutbox(u.uow),
            self.links, self.policy, u.uow, u.clock, u.ids, u.audit,
        )  # fmt: skip

    def get(self) -> GetPrescription:
        p = self._parts()
        u = p["unit"]
        return GetPrescription(
            p["prescriptions"], p["consents"], p["grants"], u.clock, u.audit, p["phi_reads"], p["denied"]
        )

    def list(self) -> ListPrescriptions:
        p = self._parts()
        u = p["unit"]
        return ListPrescriptions(
            u.memberships,
            p["prescriptions"],
            p["consents"],
            p["grants"],
            u.clock,
            u.audit,
            p["phi_reads"],
            p["denied"],
        )

    def verify(self) -> VerifyPrescription:
        p = self._parts()
        return VerifyPrescription(p["prescriptions"], p["denied"])

    def open(self) -> OpenPrescriptionDocument:
        p = self._parts()
        u = p["unit"]
        return OpenPrescriptionDocument(
            self.links, p["prescriptions"], InMemoryTenantScope(), u.clock, u.audit, p["phi_reads"]
        )

    async def seed(self, *items: Any) -> None:
        unit = self.world.unit()
        for item in items:
            if isinstance(item, Membership):
                await unit.memberships.add(item)
            elif isinstance(item, ConsentRecord):
                await InMemoryConsentRepository(unit.uow).add(item)
            elif isinstance(item, EmergencyGrant):
                await InMemoryEmergencyGrantRepository(unit.uow).add(item)
            else:
                await InMemoryAppointmentRepository(unit.uow).add(item, now=self.world.clock.now())
        await unit.uow.commit()


@pytest.fixture
def rx(world: World) -> Rx:
    return Rx(world)


def _actor(world: World, clinic_id: UUID, role: Role) -> Actor:
    return Actor(user_id=world.ids.new_id(), memberships={clinic_id: ClinicRole(role)}, request_id="req-1")


async def _clinic(rx: Rx, *, consent: bool = True) -> Clinic:
    world = rx.world
    clinic_id = world.ids.new_id()
    c = Clinic(
        id=clinic_id,
        doctor=_actor(world, clinic_id, Role.DOCTOR),
        patient=_actor(world, clinic_id, Role.PATIENT),
        receptionist=_actor(world, clinic_id, Role.RECEPTIONIST),
        other_patient=_actor(world, clinic_id, Role.PATIENT),
    )
    now = world.clock.now()
    seeds: list[Any] = [
        Membership(
            clinic_id=clinic_id, user_id=a.user_id, role=a.role_in(clinic_id) or Role.PATIENT, created_at=now
        )
        for a in (c.doctor, c.patient, c.receptionist, c.other_patient)
    ]
    if consent:
        seeds.append(_consent(world, clinic_id, c.patient.user_id))
    await rx.seed(*seeds)
    return c


def _consent(world: World, clinic_id: UUID, patient_id: UUID) -> ConsentRecord:
    return ConsentRecord(
        id=world.ids.new_id(),
        clinic_id=clinic_id,
        patient_id=patient_id,
        scope=ConsentScope.TREATMENT,
        recorded_at=world.clock.now(),
        recorded_by=patient_id,
    )


def _command(c: Clinic, **changes: Any) -> IssuePrescriptionCommand:
    fields: dict[str, Any] = {
        "clinic_id": c.id,
        "patient_id": c.patient.user_id,
        "medications": (AMOXICILLIN,),
        "notes": "Review in a week",
    }
    return IssuePrescriptionCommand(**(fields | changes))


def _fix(**changes: Any) -> dict[str, Any]:
    return {"medications": (dataclasses.replace(AMOXICILLIN, **changes),)}


async def test_a_doctor_issues_for_a_consenting_patient(rx: Rx) -> None:
    c = await _clinic(rx)
    issued = await rx.issue()(_command(c), c.doctor)
    p = issued.prescription
    assert (p.version, p.lineage_id, p.prescriber_id, p.superseded_by) == (1, p.id, c.doctor.user_id, None)
    assert p.content.medications[0].name == "Amoxicillin" and p.is_intact()
    assert await rx.get()(p.id, c.doctor) == p
    store = rx.world.store
    audit = [(e.action, e.resource_type, e.resource_id, e.patient_id) for e in store.audit]
    assert ("ISSUE_PRESCRIPTION", "prescription", str(p.id), c.patient.user_id) in audit
    events = [row.event for row in store.table("domain_events").values()]
    assert [(e.kind, e.subject_id, e.clinic_id) for e in events] == [
        (EventKind.PRESCRIPTION_ISSUED, p.id, c.id)
    ]
    assert "Amoxicillin" not in json.dumps(dict(events[0].data))
    assert set(events[0].data) == {"patientId", "prescriberId", "lineageId", "issuedAt"}


async def test_only_doctors_of_the_clinic_issue(rx: Rx) -> None:
    c = await _clinic(rx)
    with pytest.raises(InsufficientPermissions):
        await rx.issue()(_command(c), c.receptionist)
    with pytest.raises(PatientNotFound):
        await rx.issue()(_command(c), c.patient)
    outsider = _actor(rx.world, rx.world.ids.new_id(), Role.DOCTOR)
    with pytest.raises(PatientNotFound):
        await rx.issue()(_command(c), outsider)
    with pytest.raises(PatientNotFound):  # a staff member is not a patient
        await rx.issue()(_command(c, patient_id=c.receptionist.user_id), c.doctor)
    assert rx.world.store.table("prescriptions") == {}


async def test_issuing_needs_a_phi_basis_consent_or_break_glass(rx: Rx) -> None:
    c = await _clinic(rx, consent=False)
    with pytest.raises(ConsentExpired):
        await rx.issue()(_command(c), c.doctor)
    now = rx.world.clock.now()
    grant = EmergencyGrant(
        id=rx.world.ids.new_id(),
        clinic_id=c.id,
        patient_id=c.patient.user_id,
        granted_to=c.doctor.user_id,
        reason="Unconscious on arrival",
        granted_at=now,
        expires_at=now + timedelta(minutes=30),
    )
    await rx.seed(grant)
    issued = await rx.issue()(_command(c), c.doctor)
    assert issued.prescription.patient_id == c.patient.user_id


async def test_an_appointment_must_be_of_that_clinic_and_patient(rx: Rx) -> None:
    c = await _clinic(rx)
    now = rx.world.clock.now()

    def appointment(patient_id: UUID, hours: int) -> Appointment:
        return Appointment(
            id=rx.world.ids.new_id(),
            clinic_id=c.id,
            location_id=rx.world.ids.new_id(),
            doctor_id=c.doctor.user_id,
            patient_id=patient_id,
            starts_at=now + timedelta(hours=hours),
            ends_at=now + timedelta(hours=hours, minutes=30),
            status=AppointmentStatus.BOOKED,
            created_at=now,
            created_by=c.doctor.user_id,
            updated_at=now,
            updated_by=c.doctor.user_id,
        )

    own, others = appointment(c.patient.user_id, 1), appointment(c.other_patient.user_id, 2)
    await rx.seed(own, others)
    for wrong in (others.id, rx.world.ids.new_id()):
        with pytest.raises(AppointmentNotFound):
            await rx.issue()(_command(c, appointment_id=wrong), c.doctor)
    issued = await rx.issue()(_command(c, appointment_id=own.id), c.doctor)
    assert issued.prescription.appointment_id == own.id


async def test_invalid_content_is_refused_with_field_details(rx: Rx) -> None:
    c = await _clinic(rx)
    with pytest.raises(ValidationFailed) as refused:
        await rx.issue()(_command(c, **_fix(dosage="")), c.doctor)
    assert refused.value.details == {"medications[0].dosage": "expected 1 to 100 characters"}


async def test_an_idempotency_key_replays_the_first_result(rx: Rx) -> None:
    c = await _clinic(rx)
    first = await rx.issue()(_command(c, idempotency_key="k-1"), c.doctor)
    again = await rx.issue()(_command(c, idempotency_key="k-1"), c.doctor)
    assert again.replayed and not first.replayed
    assert (again.prescription, again.link) == (first.prescription, first.link)
    assert len(rx.world.store.table("prescriptions")) == 1
    assert len(rx.world.store.table("domain_events")) == 1
    with pytest.raises(IdempotencyKeyReused):
        await rx.issue()(_command(c, idempotency_key="k-1", notes="changed"), c.doctor)
    colleague = _actor(rx.world, c.id, Role.DOCTOR)
    await rx.seed(
        Membership(
            clinic_id=c.id, user_id=colleague.user_id, role=Role.DOCTOR, created_at=rx.world.clock.now()
        )
    )
    theirs = await rx.issue()(_command(c, idempotency_key="k-1"), colleague)  # keys are per caller
    assert theirs.prescription.id != first.prescription.id
    rx.world.clock.advance(hours=24)
    later = await rx.issue()(_command(c, idempotency_key="k-1", notes="changed"), c.doctor)
    assert not later.replayed


async def test_a_bad_idempotency_key_is_a_validation_error(rx: Rx) -> None:
    c = await _clinic(rx)
    with pytest.raises(ValidationFailed) as refused:
        await rx.issue()(_command(c, idempotency_key="has space"), c.doctor)
    assert set(refused.value.details or {}) == {"Idempotency-Key"}


async def test_corrections_make_a_chain_and_only_the_latest_is_corrected(rx: Rx) -> None:
    c = await _clinic(rx)
    first = (await rx.issue()(_command(c), c.doctor)).prescription
    second = (
        await rx.correct()(
            CorrectPrescriptionCommand(prescription_id=first.id, **_fix(dosage="250 mg")), c.doctor
        )
    ).prescription
    third = (
        await rx.correct()(
            CorrectPrescriptionCommand(prescription_id=second.id, **_fix(dosage="125 mg")), c.doctor
        )
    ).prescription
    assert [p.version for p in (first, second, third)] == [1, 2, 3]
    assert {p.lineage_id for p in (first, second, third)} == {first.id}
    assert (await rx.get()(first.id, c.patient)).superseded_by == second.id
    assert (await rx.get()(second.id, c.patient)).superseded_by == third.id
    assert (await rx.get()(third.id, c.patient)).superseded_by is None
    with pytest.raises(PrescriptionSuperseded):
        await rx.correct()(CorrectPrescriptionCommand(prescription_id=first.id, **_fix()), c.doctor)
    for p in (first, second, third):
        assert (await rx.verify()(p.id, c.doctor)).valid
    actions = [e.action for e in rx.world.store.audit if e.resource_type == "prescription"]
    assert actions.count("CORRECT_PRESCRIPTION") == 2


async def test_two_racing_corrections_give_one_new_version(rx: Rx) -> None:
    c = await _clinic(rx)
    first = (await rx.issue()(_command(c), c.doctor)).prescription
    results = await asyncio.gather(
        rx.correct()(CorrectPrescriptionCommand(prescription_id=first.id, **_fix(dosage="250 mg")), c.doctor),
        rx.correct()(CorrectPrescriptionCommand(prescription_id=first.id, **_fix(dosage="125 mg")), c.doctor),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["IssuedPrescription", "PrescriptionSuperseded"]
    assert len(rx.world.store.table("prescriptions")) == 2


async def test_correcting_needs_what_issuing_needs(rx: Rx) -> None:
    c = await _clinic(rx)
    first = (await rx.issue()(_command(c), c.doctor)).prescription
    with pytest.raises(InsufficientPermissions):
        await rx.correct()(CorrectPrescriptionCommand(prescription_id=first.id, **_fix()), c.receptionist)
    with pytest.raises(PrescriptionNotFound):
        await rx.correct()(CorrectPrescriptionCommand(prescription_id=first.id, **_fix()), c.patient)
    with pytest.raises(PrescriptionNotFound):
        outsider = _actor(rx.world, rx.world.ids.new_id(), Role.DOCTOR)
        await rx.correct()(CorrectPrescriptionCommand(prescription_id=first.id, **_fix()), outsider)


async def test_reads_the_patient_own_and_doctors_with_a_basis_every_read_audited(rx: Rx) -> None:
    c = await _clinic(rx)
    p = (await rx.issue()(_command(c), c.doctor)).prescription
    assert (await rx.get()(p.id, c.patient)).id == p.id
    with pytest.raises(PrescriptionNotFound):
        await rx.get()(p.id, c.other_patient)
    with pytest.raises(InsufficientPermissions):
        await rx.get()(p.id, c.receptionist)
    with pytest.raises(PrescriptionNotFound):
        await rx.get()(p.id, _actor(rx.world, rx.world.ids.new_id(), Role.DOCTOR))
    reads = [e for e in rx.world.store.audit if e.action == "VIEW_PRESCRIPTION"]
    assert [(e.actor_id, e.resource_id, e.patient_id) for e in reads] == [
        (c.patient.user_id, str(p.id), c.patient.user_id)
    ]
    denied = [e for e in rx.world.store.audit if e.outcome.value == "DENIED"]
    assert len(denied) == 2  # the other patient and the receptionist; the outsider aimed at nothing


async def test_lists_are_per_patient_and_keyset_paginated(rx: Rx) -> None:
    c = await _clinic(rx)
    made = [(await rx.issue()(_command(c), c.doctor)).prescription.id for _ in range(3)]
    page = await rx.list()(ListPrescriptionsQuery(clinic_id=c.id, page=PageRequest(limit=2)), c.patient)
    assert [p.id for p in page.items] == made[:2] and page.next_after == made[1]
    rest = await rx.list()(
        ListPrescriptionsQuery(
            clinic_id=c.id, patient_id=c.patient.user_id, page=PageRequest(limit=2, after=made[1])
        ),
        c.doctor,
    )
    assert [p.id for p in rest.items] == made[2:] and rest.next_after is None
    with pytest.raises(PatientNotFound):
        await rx.list()(ListPrescriptionsQuery(clinic_id=c.id, patient_id=c.patient.user_id), c.other_patient)
    assert (await rx.list()(ListPrescriptionsQuery(clinic_id=c.id), c.other_patient)).items == []
    with pytest.raises(ValidationFailed):
        await rx.list()(ListPrescriptionsQuery(clinic_id=c.id), c.doctor)
    with pytest.raises(ConsentExpired):
        await rx.list()(ListPrescriptionsQuery(clinic_id=c.id, patient_id=c.other_patient.user_id), c.doctor)


async def test_verify_says_false_once_the_stored_version_is_tampered_with(rx: Rx) -> None:
    c = await _clinic(rx)
    p = (await rx.issue()(_command(c), c.doctor)).prescription
    verdict = await rx.verify()(p.id, c.patient)
    assert (verdict.valid, verdict.content_hash, verdict.algorithm) == (True, p.content_hash, "sha256")
    table = rx.world.store.table("prescriptions")
    key = (c.id, p.id)
    table[key] = dataclasses.replace(table[key], content=_content(notes="Double the dose"))
    assert not (await rx.verify()(p.id, c.doctor)).valid


async def test_a_signed_link_opens_that_prescription_until_it_expires(rx: Rx) -> None:
    c = await _clinic(rx)
    issued = await rx.issue()(_command(c), c.doctor)
    other = await rx.issue()(_command(c), c.doctor)
    p, token = issued.prescription, issued.link.token
    assert issued.link.expires_at == rx.world.clock.now() + timedelta(hours=72)
    assert str(p.id) not in token and "Amoxicillin" not in token
    opened = await rx.open()(OpenDocumentQuery(prescription_id=p.id, token=token, request_id="req-doc"))
    assert opened == p
    read = [e for e in rx.world.store.audit if e.action == "VIEW_PRESCRIPTION_SIGNED_LINK"]
    assert [(e.actor_id, e.resource_id, e.patient_id, e.request_id) for e in read] == [
        (None, str(p.id), c.patient.user_id, "req-doc")
    ]
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad_id, bad_token in ((other.prescription.id, token), (p.id, forged), (p.id, "x"), (p.id, "")):
        with pytest.raises(DocumentLinkInvalid):
            await rx.open()(OpenDocumentQuery(prescription_id=bad_id, token=bad_token))
    rx.world.clock.advance(hours=72)
    with pytest.raises(DocumentLinkInvalid):
        await rx.open()(OpenDocumentQuery(prescription_id=p.id, token=token))
    with pytest.raises(DocumentLinkInvalid):  # another key signed it
        await rx.open()(
            OpenDocumentQuery(
                prescription_id=p.id,
                token=HmacDocumentLinks(b"other").sign(
                    dataclasses.replace(rx.links.open(token, now=rx.world.clock.now() - timedelta(hours=1)))
                ),
            )
        )

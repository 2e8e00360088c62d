"""The patient export over the memory adapters: complete, confined to the patient and the clinic,
allowed to the patient and clinic admins only, audited before it is read, and read in pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from memory_world import World, member_of, super_admin

from adapters.memory.appointments import InMemoryAppointmentRepository
from adapters.memory.audit import InMemoryAuditReader
from adapters.memory.consent import InMemoryConsentRepository, InMemoryEmergencyGrantRepository
from adapters.memory.patients import InMemoryPatientRepository
from adapters.memory.prescriptions import InMemoryPrescriptionRepository
from adapters.memory.repositories import (
    InMemoryClinicRepository,
    InMemoryMembershipRepository,
    InMemoryUserRepository,
)
from adapters.memory.uow import InMemoryUnitOfWork
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.clinics.create_clinic import CreateClinic, CreateClinicCommand
from application.patients.create_patient import CreatePatient, CreatePatientCommand
from application.patients.delete_patient import DeletePatient, DeletePatientCommand
from application.patients.export_patient_data import (
    EXPORT_FORMAT,
    ExportPatientData,
    ExportPatientDataQuery,
    PatientExport,
)
from domain.access import Actor, ClinicRole
from domain.appointments import Appointment, AppointmentStatus, Cancellation
from domain.audit import Outcome
from domain.consent import ConsentRecord, ConsentScope, EmergencyGrant
from domain.errors import InsufficientPermissions, PatientNotFound
from domain.identity import Role
from domain.prescriptions import MedicationLine, Prescription, PrescriptionContent, new_salt


class Clinic:
    """One clinic of a world; every call opens a fresh unit of work, like one request."""

    def __init__(self, world: World, clinic_id: UUID) -> None:
        self.world = world
        self.id = clinic_id
        self.location = world.ids.new_id()
        self.doctor = world.ids.new_id()

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.world.store, audit=AuditEntries(self.world.clock, self.world.ids))

    def exporter(self) -> ExportPatientData:
        uow = self.uow()
        audit = AuditEntries(self.world.clock, self.world.ids)
        return ExportPatientData(
            InMemoryPatientRepository(uow),
            InMemoryClinicRepository(uow),
            InMemoryAppointmentRepository(uow),
            InMemoryPrescriptionRepository(uow),
            InMemoryConsentRepository(uow),
            InMemoryEmergencyGrantRepository(uow),
            InMemoryAuditReader(self.world.store),
            uow,
            audit,
            DeniedAttempts(uow, audit),
        )

    async def export(self, actor: Actor, patient_id: UUID) -> PatientExport:
        return await self.exporter()(ExportPatientDataQuery(clinic_id=self.id, patient_id=patient_id), actor)

    async def register(self, name: str, phone: str) -> UUID:
        uow = self.uow()
        w = self.world
        create = CreatePatient(
            InMemoryClinicRepository(uow),
            InMemoryUserRepository(uow),
            InMemoryMembershipRepository(uow),
            InMemoryPatientRepository(uow),
            uow,
            w.clock,
            w.ids,
            AuditEntries(w.clock, w.ids),
        )
        command = CreatePatientCommand(
            clinic_id=self.id, fields={"name": name, "date_of_birth": "1980-04-02", "phone": phone}
        )
        return (await create(command, self.staff(Role.RECEPTIONIST))).id

    async def book(self, patient_id: UUID, count: int, **fields: Any) -> list[Appointment]:
        """``count`` appointments an hour apart from a day ahead (a doctor of their own), audited
        as bookings."""
        w, uow = self.world, self.uow()
        repository, entries = InMemoryAppointmentRepository(uow), AuditEntries(w.clock, w.ids)
        made, doctor = [], w.ids.new_id()
        start = w.clock.now() + timedelta(days=1)
        taken = len([a for a in w.store.table("appointments").values() if a.patient_id == patient_id])
        for n in range(taken, taken + count):
            starts_at = start + timedelta(hours=n)
            appointment = Appointment(
                id=w.ids.new_id(),
                clinic_id=self.id,
                location_id=self.location,
                doctor_id=doctor,
                patient_id=patient_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=30),
                status=fields.get("status", AppointmentStatus.BOOKED),
                reason=fields.get("reason", f"Visit {n}"),
                cancellation=fields.get("cancellation"),
                created_at=w.clock.now(),
                created_by=patient_id,
                updated_at=w.clock.now(),
                updated_by=patient_id,
            )
            await repository.add(appointment, now=w.clock.now())
            uow.record(
                entries.entry(
                    None,
                    "BOOK_APPOINTMENT",
                    "appointment",
                    appointment.id,
                    clinic_id=self.id,
                    patient_id=patient_id,
                )
            )
            made.append(appointment)
        await uow.commit()
        return made

    async def prescribe(self, patient_id: UUID) -> tuple[Prescription, Prescription]:
        """A prescription and its correction."""
        w, uow = self.world, self.uow()
        repository, entries = InMemoryPrescriptionRepository(uow), AuditEntries(w.clock, w.ids)

        def content(dosage: str) -> PrescriptionContent:
            line = MedicationLine(
                name="Amoxicillin", dosage=dosage, frequency="every 8 hours", duration_days=7
            )
            return PrescriptionContent.of([line], "Take with food", salt=new_salt())

        first = Prescription.issue(
            id=w.ids.new_id(),
            clinic_id=self.id,
            patient_id=patient_id,
            prescriber_id=self.doctor,
            appointment_id=None,
            content=content("500 mg"),
            issued_at=w.clock.now(),
        )
        second = first.correct(
            id=w.ids.new_id(),
            prescriber_id=self.doctor,
            appointment_id=None,
            content=content("250 mg"),
            issued_at=w.clock.now(),
        )
        for version in (first, second):
            await repository.add(version)
            uow.record(
                entries.entry(
                    None,
                    "ISSUE_PRESCRIPTION",
                    "prescription",
                    version.id,
                    clinic_id=self.id,
                    patient_id=patient_id,
                )
            )
        await uow.commit()
        return first, second

    async def consent_then_revoke(self, patient_id: UUID) -> tuple[ConsentRecord, ConsentRecord]:
        w, uow = self.world, self.uow()
        repository, entries = InMemoryConsentRepository(uow), AuditEntries(w.clock, w.ids)
        grant = ConsentRecord(
            id=w.ids.new_id(),
            clinic_id=self.id,
            patient_id=patient_id,
            scope=ConsentScope.TREATMENT,
            recorded_at=w.clock.now(),
            recorded_by=patient_id,
        )
        revocation = ConsentRecord(
            id=w.ids.new_id(),
            clinic_id=self.id,
            patient_id=patient_id,
            scope=ConsentScope.TREATMENT,
            recorded_at=w.clock.now() + timedelta(minutes=1),
            recorded_by=patient_id,
            revokes=grant.id,
        )
        for record, action in ((grant, "RECORD_CONSENT"), (revocation, "REVOKE_CONSENT")):
            await repository.add(record)
            uow.record(entries.entry(None, action, "consent", record.id, clinic_id=self.id))
        await uow.commit()
        return grant, revocation

    async def break_glass(self, patient_id: UUID) -> EmergencyGrant:
        w, uow = self.world, self.uow()
        grant = EmergencyGrant(
            id=w.ids.new_id(),
            clinic_id=self.id,
            patient_id=patient_id,
            granted_to=self.doctor,
            reason="Unconscious on arrival",
            granted_at=w.clock.now(),
            expires_at=w.clock.now() + timedelta(hours=1),
        )
        await InMemoryEmergencyGrantRepository(uow).add(grant)
        uow.record(
            AuditEntries(w.clock, w.ids).entry(
                None, "EMERGENCY_ACCESS_GRANTED", "patient", patient_id, clinic_id=self.id
            )
        )
        await uow.commit()
        return grant

    def staff(self, role: Role) -> Actor:
        return member_of(self.id, role, self.world.ids)

    def patient(self, patient_id: UUID) -> Actor:
        return Actor(user_id=patient_id, memberships={self.id: ClinicRole(Role.PATIENT)}, request_id="req-p")

    def audit(self, action: str) -> list:
        """The successful entries of ``action``."""
        return [e for e in self.world.store.audit if e.action == action and e.outcome is Outcome.SUCCESS]


async def open_clinic(world: World, name: str) -> Clinic:
    unit = world.unit()
    create = CreateClinic(unit.clinics, unit.uow, unit.clock, unit.ids, unit.audit)
    clinic = await create(CreateClinicCommand(name=name, time_zone="Europe/Madrid"), super_admin(world.ids))
    return Clinic(world, clinic.id)


async def read_all(export: PatientExport) -> dict[str, list]:
    """Every section, in the document's order, flattened."""
    sections = {}
    for name, pages in (
        ("appointments", export.appointments()),
        ("prescriptions", export.prescriptions()),
        ("consents", export.consents()),
        ("emergency_grants", export.emergency_grants()),
        ("audit", export.audit()),
    ):
        sections[name] = [item async for page in pages for item in page]
    return sections


@pytest.fixture
async def north(world: World) -> Clinic:
    return await open_clinic(world, "North")


async def test_the_export_holds_everything_about_the_patient_and_nothing_else(
    world: World, north: Clinic
) -> None:
    ana = await north.register("Ana García", "+34600000001")
    bo = await north.register("Bo Li", "+34600000002")
    south = await open_clinic(world, "South")
    await south.register("Ana García", "+34600000001")  # the same person, another clinic
    booked = await north.book(ana, 2)
    cancelled = await north.book(
        ana,
        1,
        status=AppointmentStatus.CANCELLED,
        cancellation=Cancellation(reason="Feeling better", by=ana, at=world.clock.now()),
    )
    first, second = await north.prescribe(ana)
    consent, revocation = await north.consent_then_revoke(ana)
    grant = await north.break_glass(ana)
    for clinic, patient in ((north, bo), (south, ana)):  # noise: must not appear
        await clinic.book(patient, 1)
        await clinic.prescribe(patient)
        await clinic.consent_then_revoke(patient)
        await clinic.break_glass(patient)

    export = await north.export(north.patient(ana), ana)
    sections = await read_all(export)

    assert (export.patient.id, export.patient.clinic_id, export.patient.name) == (ana, north.id, "Ana García")
    assert (export.format, export.time_zone, export.exported_at) == (
        EXPORT_FORMAT,
        "Europe/Madrid",
        world.clock.now(),
    )
    assert [a.id for a in sections["appointments"]] == [a.id for a in [*booked, *cancelled]]
    assert [a.reason for a in sections["appointments"]] == ["Visit 0", "Visit 1", "Visit 2"]
    assert sections["appointments"][-1].cancellation.reason == "Feeling better"
    assert [(p.id, p.version, p.superseded_by) for p in sections["prescriptions"]] == [
        (first.id, 1, second.id),
        (second.id, 2, None),
    ]
    assert sections["prescriptions"][1].content.medications[0].dosage == "250 mg"
    assert sections["consents"] == [consent, revocation]
    assert sections["emergency_grants"] == [grant]
    about = [(e.entry.action, e.entry.resource_type, e.entry.resource_id) for e in sections["audit"]]
    assert about == [
        ("ADD_MEMBER", "membership", str(ana)),
        ("CREATE_PATIENT", "patient", str(ana)),
        *(("BOOK_APPOINTMENT", "appointment", str(a.id)) for a in [*booked, *cancelled]),
        ("ISSUE_PRESCRIPTION", "prescription", str(first.id)),
        ("ISSUE_PRESCRIPTION", "prescription", str(second.id)),
        ("RECORD_CONSENT", "consent", str(consent.id)),
        ("REVOKE_CONSENT", "consent", str(revocation.id)),
        ("EMERGENCY_ACCESS_GRANTED", "patient", str(ana)),
        ("EXPORT_PATIENT_DATA", "patient", str(ana)),
    ]
    assert {e.entry.clinic_id for e in sections["audit"]} == {north.id}


async def test_the_export_is_audited_once_before_anything_is_read(world: World, north: Clinic) -> None:
    ana = await north.register("Ana García", "+34600000001")
    admin = north.staff(Role.CLINIC_ADMIN)
    export = await north.export(admin, ana)
    [entry] = north.audit("EXPORT_PATIENT_DATA")  # sections not read yet
    assert (entry.actor_id, entry.actor_role, entry.outcome) == (
        admin.user_id,
        "CLINIC_ADMIN",
        Outcome.SUCCESS,
    )
    assert (entry.resource_type, entry.resource_id, entry.patient_id) == ("patient", str(ana), ana)
    assert (entry.clinic_id, entry.request_id, entry.occurred_at) == (
        north.id,
        "req-member",
        export.exported_at,
    )


async def test_later_activity_is_left_out_of_the_audit_section(world: World, north: Clinic) -> None:
    ana = await north.register("Ana García", "+34600000001")
    export = await north.export(north.patient(ana), ana)
    await north.book(ana, 1)  # booked while the export runs, its audit after the export's entry
    entries = [e.entry.action async for page in export.audit() for e in page]
    assert entries == ["ADD_MEMBER", "CREATE_PATIENT", "EXPORT_PATIENT_DATA"]


async def test_the_audit_section_alone_still_finds_every_resource(world: World, north: Clinic) -> None:
    ana = await north.register("Ana García", "+34600000001")
    [appointment] = await north.book(ana, 1)
    export = await north.export(north.patient(ana), ana)
    entries = [e.entry.resource_id async for page in export.audit() for e in page]
    assert str(appointment.id) in entries


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("self", None),
        ("clinic_admin", None),
        ("doctor", InsufficientPermissions),
        ("receptionist", InsufficientPermissions),
        ("other_patient", PatientNotFound),
        ("other_clinic_admin", PatientNotFound),
        ("super_admin", PatientNotFound),
    ],
)
async def test_who_may_export(world: World, north: Clinic, who: str, error: type[Exception] | None) -> None:
    ana = await north.register("Ana García", "+34600000001")
    bo = await north.register("Bo Li", "+34600000002")
    south = await open_clinic(world, "South")
    actor = {
        "self": north.patient(ana),
        "clinic_admin": north.staff(Role.CLINIC_ADMIN),
        "doctor": north.staff(Role.DOCTOR),
        "receptionist": north.staff(Role.RECEPTIONIST),
        "other_patient": north.patient(bo),
        "other_clinic_admin": south.staff(Role.CLINIC_ADMIN),
        "super_admin": super_admin(world.ids),
    }[who]
    if error is None:
        export = await north.export(actor, ana)
        assert export.patient.id == ana
        assert len(north.audit("EXPORT_PATIENT_DATA")) == 1
        return
    with pytest.raises(error):
        await north.export(actor, ana)
    assert north.audit("EXPORT_PATIENT_DATA") == []
    [denied] = [e for e in world.store.audit if e.outcome is Outcome.DENIED]
    assert (denied.action, denied.actor_id, denied.patient_id) == ("EXPORT_PATIENT_DATA", actor.user_id, ana)


async def test_a_deleted_or_unknown_patient_is_not_found(world: World, north: Clinic) -> None:
    ana = await north.register("Ana García", "+34600000001")
    uow = north.uow()
    remove = DeletePatient(
        InMemoryPatientRepository(uow), uow, world.clock, AuditEntries(world.clock, world.ids)
    )
    await remove(DeletePatientCommand(clinic_id=north.id, patient_id=ana), north.staff(Role.CLINIC_ADMIN))
    admin = north.staff(Role.CLINIC_ADMIN)
    for patient_id in (ana, world.ids.new_id()):
        with pytest.raises(PatientNotFound):
            await north.export(admin, patient_id)
    with pytest.raises(PatientNotFound):
        await north.export(north.patient(ana), ana)
    assert north.audit("EXPORT_PATIENT_DATA") == []


async def test_a_large_record_is_read_in_pages(world: World, north: Clinic) -> None:
    ana = await north.register("Ana García", "+34600000001")
    booked = await north.book(ana, 450)
    export = await north.export(north.patient(ana), ana)
    pages = [page async for page in export.appointments()]
    assert [len(page) for page in pages] == [200, 200, 50]
    assert [a.id for page in pages for a in page] == [a.id for a in booked]
    audit_pages = [page async for page in export.audit()]
    assert len(audit_pages) > 1 and all(len(page) <= 200 for page in audit_pages)
    assert sum(len(page) for page in audit_pages) == 450 + 3  # bookings, membership, record, export

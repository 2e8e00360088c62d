"""Export everything a clinic holds about one patient (the patient's right of access)."""

from __future__ import annotations

import heapq
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.access import require_for_patient
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.ports.appointments import AppointmentFilter, AppointmentKey, AppointmentRepository
from application.ports.audit import AuditQuery, AuditReader
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from application.ports.patients import PatientRepository
from application.ports.prescriptions import PrescriptionRepository
from application.ports.repositories import ClinicRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.appointments import Appointment
from domain.audit_chain import SealedEntry
from domain.consent import ConsentRecord, EmergencyGrant
from domain.errors import PatientNotFound
from domain.patients import Patient
from domain.prescriptions import Prescription

EXPORT_FORMAT = "clinic-backend.patient-export.v1"
EXPORT_PATIENT_DATA = Action.EXPORT_PATIENT_DATA.value
PAGE_SIZE = 200
# Resources named per audit query: keeps each statement's parameter list small.
RESOURCES_PER_QUERY = 500

Resource = tuple[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportPatientDataQuery:
    clinic_id: UUID
    patient_id: UUID


class PatientExport:
    """An export already allowed and audited: the record, then each section read in pages.

    Sections are async iterators of pages (at most ``page_size`` items each, none empty), meant to
    be read once each, in the order of the document: appointments, prescriptions, consents,
    emergency grants, audit. The audit section holds the entries about the patient's record and
    membership and about every appointment, prescription version and consent record of the
    patient (a section not read before it is read for its ids first), in the order they were
    made, up to and including this export's own entry.

    Each read ends its transaction (``end_read``: the unit of work's rollback, which has nothing
    staged here) before its page is handed on, so no connection is held while a slow client
    takes the page.

    Consistency: each page is one consistent read, and keyset paging never repeats nor skips an
    item that exists for the whole export; the export as a whole is not one snapshot. An
    appointment booked, rescheduled or cancelled while the export runs appears with its state
    when its page is read, or not at all if its position is behind the pages already read.
    Consents and grants are read in one query each. The audit section stops at this export's
    entry, so later activity is left out; entries of single PHI reads wait in PhiReadAudit's
    buffer for up to its flush interval, so the very latest reads may be missing.
    """

    def __init__(
        self,
        *,
        patient: Patient,
        time_zone: str,
        exported_at: datetime,
        export_entry: UUID,
        appointments: AppointmentRepository,
        prescriptions: PrescriptionRepository,
        consents: ConsentRepository,
        grants: EmergencyGrantRepository,
        audit: AuditReader,
        end_read: Callable[[], Awaitable[None]],
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.patient = patient
        self.time_zone = time_zone
        self.exported_at = exported_at
        self.format = EXPORT_FORMAT
        self._entry = export_entry
        self._appointments = appointments
        self._prescriptions = prescriptions
        self._consents = consents
        self._grants = grants
        self._audit = audit
        self._end_read = end_read
        self._page = page_size
        self._resources: set[Resource] = {("patient", str(patient.id)), ("membership", str(patient.id))}
        self._read: set[str] = set()

    @property
    def _clinic_id(self) -> UUID:
        return self.patient.clinic_id

    async def appointments(self) -> AsyncIterator[Sequence[Appointment]]:
        """Every appointment of the patient, all statuses, by (starts_at, id)."""
        where = AppointmentFilter(patient_id=self.patient.id)
        after: AppointmentKey | None = None
        while True:
            page = await self._appointments.list(self._clinic_id, where, after=after, limit=self._page)
            await self._end_read()
            if page:
                self._note("appointment", (a.id for a in page))
                yield page
            if len(page) < self._page:
                break
            after = AppointmentKey.of(page[-1])
        self._read.add("appointments")

    async def prescriptions(self) -> AsyncIterator[Sequence[Prescription]]:
        """Every version of every prescription of the patient, by id."""
        after: UUID | None = None
        while True:
            page = await self._prescriptions.list(
                self._clinic_id, self.patient.id, after=after, limit=self._page
            )
            await self._end_read()
            if page:
                self._note("prescription", (p.id for p in page))
                yield page
            if len(page) < self._page:
                break
            after = page[-1].id
        self._read.add("prescriptions")

    async def consents(self) -> AsyncIterator[Sequence[ConsentRecord]]:
        """The whole consent history, grants and revocations, oldest first."""
        history = await self._consents.history(self._clinic_id, self.patient.id)
        await self._end_read()
        self._note("consent", (r.id for r in history))
        for start in range(0, len(history), self._page):
            yield history[start : start + self._page]
        self._read.add("consents")

    async def emergency_grants(self) -> AsyncIterator[Sequence[EmergencyGrant]]:
        """Every break-glass grant on the patient, expired ones included, oldest first."""
        grants = await self._grants.for_patient(self._clinic_id, self.patient.id)
        await self._end_read()
        for start in range(0, len(grants), self._page):
            yield grants[start : start + self._page]

    async def audit(self) -> AsyncIterator[Sequence[SealedEntry]]:
        """The audit entries about the patient's data (see the class docstring), by id."""
        for name, section in (
            ("appointments", self.appointments),
            ("prescriptions", self.prescriptions),
            ("consents", self.consents),
        ):
            if name not in self._read:
                async for _ in section():
                    pass
        resources = sorted(self._resources)
        streams = [
            self._entries_about(frozenset(resources[start : start + RESOURCES_PER_QUERY]))
            for start in range(0, len(resources), RESOURCES_PER_QUERY)
        ]
        page: list[SealedEntry] = []
        async for sealed in _merged(streams, key=lambda s: s.entry.id):
            page.append(sealed)
            if len(page) == self._page:
                yield page
                page = []
        if page:
            yield page

    async def _entries_about(self, resources: frozenset[Resource]) -> AsyncIterator[SealedEntry]:
        query = AuditQuery(clinic_id=self._clinic_id, resources=resources)
        after: UUID | None = None
        while True:
            page = await self._audit.search(query, after=after, limit=self._page)
            await self._end_read()
            for sealed in page:
                if sealed.entry.id > self._entry:
                    return
                yield sealed
            if len(page) < self._page:
                return
            after = page[-1].entry.id

    def _note(self, kind: str, ids: Iterable[UUID]) -> None:
        self._resources.update((kind, str(i)) for i in ids)


async def _merged(
    streams: Sequence[AsyncIterator[SealedEntry]], *, key: Callable[[SealedEntry], UUID]
) -> AsyncIterator[SealedEntry]:
    """The items of streams each ordered by ``key``, in one order (a k-way merge)."""
    heads: list[tuple[UUID, int, SealedEntry]] = []
    for index, stream in enumerate(streams):
        first = await anext(stream, None)
        if first is not None:
            heads.append((key(first), index, first))
    heapq.heapify(heads)
    while heads:
        _, index, item = heapq.heappop(heads)
        yield item
        following = await anext(streams[index], None)
        if following is not None:
            heapq.heappush(heads, (key(following), index, following))


class ExportPatientData:
    """Open the export of everything the clinic holds about a patient.

    - The patient exports their own; a clinic admin exports any patient of the clinic. Outsiders,
      other patients and a missing or deleted record: PATIENT_NOT_FOUND; other staff:
      INSUFFICIENT_PERMISSIONS. Refusals are audited (DENIED).
    - Access is decided and the export audited before anything is read beyond the record: one
      EXPORT_PATIENT_DATA entry naming the patient (a read of all their PHI), committed in a
      unit of its own, so it is durable before the first byte leaves (unlike the buffered
      entries of single reads, an export is rare and discloses everything).
    - The returned PatientExport reads its sections in pages, so a large record is never held
      whole in memory; its docstring says what a booking made during the export does.
    """

    def __init__(
        self,
        patients: PatientRepository,
        clinics: ClinicRepository,
        appointments: AppointmentRepository,
        prescriptions: PrescriptionRepository,
        consents: ConsentRepository,
        grants: EmergencyGrantRepository,
        audit_reader: AuditReader,
        uow: UnitOfWork,
        audit: AuditEntries,
        denied: DeniedAttempts,
    ) -> None:
        self._patients = patients
        self._clinics = clinics
        self._appointments = appointments
        self._prescriptions = prescriptions
        self._consents = consents
        self._grants = grants
        self._audit_reader = audit_reader
        self._uow = uow
        self._audit = audit
        self._denied = denied

    async def __call__(self, query: ExportPatientDataQuery, actor: Actor) -> PatientExport:
        return await self._denied.guard(lambda: self._open(query, actor))

    async def _open(self, query: ExportPatientDataQuery, actor: Actor) -> PatientExport:
        clinic_id, patient_id = query.clinic_id, query.patient_id
        require_for_patient(actor, Action.EXPORT_PATIENT_DATA, clinic_id, patient_id, PatientNotFound())
        patient = await self._patients.get(clinic_id, patient_id)
        if patient is None:
            raise PatientNotFound()
        clinic = await self._clinics.get(clinic_id)
        entry = self._audit.entry(
            actor, EXPORT_PATIENT_DATA, "patient", patient_id, clinic_id=clinic_id, patient_id=patient_id
        )

        async def write() -> None:
            self._uow.record(entry)
            await self._uow.commit()

        await self._uow.run(write)
        return PatientExport(
            patient=patient,
            time_zone=clinic.time_zone if clinic is not None else "UTC",
            exported_at=entry.occurred_at,
            export_entry=entry.id,
            appointments=self._appointments,
            prescriptions=self._prescriptions,
            consents=self._consents,
            grants=self._grants,
            audit=self._audit_reader,
            end_read=self._uow.rollback,
        )

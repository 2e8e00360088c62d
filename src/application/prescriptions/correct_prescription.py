"""Correct a prescription: issue the next version of its lineage."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import require_for_patient
from application.auditing import AuditEntries
from application.consent.phi_access import authorize_phi_read
from application.ports.appointments import AppointmentRepository
from application.ports.clock import Clock, IdGenerator
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from application.ports.document_links import DocumentLinks
from application.ports.events import EventOutbox
from application.ports.prescriptions import PrescriptionRepository
from application.ports.uow import UnitOfWork
from application.prescriptions.common import (
    RESOURCE,
    LinkPolicy,
    find_prescription,
    link_for,
    prescription_tag,
    require_appointment,
)
from application.prescriptions.issue_prescription import IssuedPrescription, issued_event
from domain.access import Action, Actor
from domain.errors import PrescriptionNotFound
from domain.prescriptions import MedicationLine, PrescriptionContent, new_salt


@dataclass(frozen=True, slots=True, kw_only=True)
class CorrectPrescriptionCommand:
    prescription_id: UUID
    medications: tuple[MedicationLine, ...]
    appointment_id: UUID | None = None
    notes: str | None = None


class CorrectPrescription:
    """Correct a prescription.

    - The body is the whole new content (medications, notes, appointment), validated as on issue;
      clinic, patient and lineage are the corrected version's.
    - Doctors of the clinic (ISSUE_PRESCRIPTION) with a PHI basis for the patient, like issuing;
      the corrector becomes the new version's prescriber. Others: PRESCRIPTION_NOT_FOUND for
      outsiders and patients, INSUFFICIENT_PERMISSIONS for other roles.
    - Only the latest version may be corrected: PRESCRIPTION_SUPERSEDED otherwise, also when two
      corrections of one version race (the store's (lineage, version) rule decides).
    - Nothing stored changes: the new version supersedes the old by existing. Audited as
      CORRECT_PRESCRIPTION on the new version; emits PrescriptionIssued (with ``supersedes``).
    """

    def __init__(
        self,
        consents: ConsentRepository,
        grants: EmergencyGrantRepository,
        appointments: AppointmentRepository,
        prescriptions: PrescriptionRepository,
        events: EventOutbox,
        links: DocumentLinks,
        policy: LinkPolicy,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
    ) -> None:
        self._consents = consents
        self._grants = grants
        self._appointments = appointments
        self._prescriptions = prescriptions
        self._events = events
        self._links = links
        self._policy = policy
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: CorrectPrescriptionCommand, actor: Actor) -> IssuedPrescription:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: CorrectPrescriptionCommand, actor: Actor) -> IssuedPrescription:
        current = await find_prescription(self._prescriptions.get, actor, cmd.prescription_id)
        clinic_id, patient_id = current.clinic_id, current.patient_id
        require_for_patient(actor, Action.ISSUE_PRESCRIPTION, clinic_id, patient_id, PrescriptionNotFound())
        now = self._clock.now()
        await authorize_phi_read(
            actor,
            clinic_id,
            patient_id,
            location_id=None,
            consents=self._consents,
            grants=self._grants,
            now=now,
        )
        content = PrescriptionContent.of(cmd.medications, cmd.notes, salt=new_salt())
        await require_appointment(self._appointments, clinic_id, patient_id, cmd.appointment_id)
        corrected = current.correct(
            id=self._ids.new_id(),
            prescriber_id=actor.user_id,
            appointment_id=cmd.appointment_id,
            content=content,
            issued_at=now,
        )
        await self._prescriptions.add(corrected)
        await self._events.add(issued_event(self._ids.new_id(), corrected))
        self._uow.record(
            self._audit.entry(
                actor,
                "CORRECT_PRESCRIPTION",
                RESOURCE,
                corrected.id,
                clinic_id=clinic_id,
                patient_id=patient_id,
            )
        )
        self._uow.touch(prescription_tag(current.id))  # its superseded_by is now the new version
        await self._uow.commit()
        return IssuedPrescription(
            prescription=corrected, link=link_for(self._links, self._policy, corrected, now)
        )

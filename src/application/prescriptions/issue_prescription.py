"""Issue a prescription (version 1 of a new lineage)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.access import require_for_patient
from application.auditing import AuditEntries
from application.consent.patients import require_patient
from application.consent.phi_access import authorize_phi_read
from application.ports.appointments import AppointmentRepository
from application.ports.clock import Clock, IdGenerator
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from application.ports.document_links import DocumentLinks
from application.ports.events import EventOutbox
from application.ports.idempotency import (
    IdempotencyStore,
    IdempotentRequest,
    StoredResponse,
    checked_key,
)
from application.ports.prescriptions import PrescriptionRepository
from application.ports.repositories import MembershipRepository
from application.ports.uow import UnitOfWork
from application.prescriptions.common import (
    RESOURCE,
    DocumentLink,
    LinkPolicy,
    link_for,
    require_appointment,
)
from domain.access import Action, Actor
from domain.errors import PatientNotFound, PrescriptionNotFound
from domain.events import DomainEvent, EventKind
from domain.prescriptions import MedicationLine, Prescription, PrescriptionContent, new_salt

CREATED = "created"


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuePrescriptionCommand:
    clinic_id: UUID
    patient_id: UUID
    medications: tuple[MedicationLine, ...]
    appointment_id: UUID | None = None
    notes: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedPrescription:
    prescription: Prescription
    link: DocumentLink
    replayed: bool = False


def request_digest(cmd: IssuePrescriptionCommand) -> str:
    """SHA-256 over the request as the client sent it (sorted keys, UTF-8): what decides
    whether a retried key carries the same request."""
    document = {
        "clinic_id": str(cmd.clinic_id),
        "patient_id": str(cmd.patient_id),
        "appointment_id": None if cmd.appointment_id is None else str(cmd.appointment_id),
        "medications": [
            [m.name, m.dosage, m.frequency, m.duration_days, m.instructions] for m in cmd.medications
        ],
        "notes": cmd.notes,
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _response(issued: IssuedPrescription) -> StoredResponse:
    body = {
        "prescription_id": str(issued.prescription.id),
        "token": issued.link.token,
        "expires_at": issued.link.expires_at.isoformat(),
    }
    return StoredResponse(status=CREATED, body=json.dumps(body, sort_keys=True).encode())


class IssuePrescription:
    """Issue a prescription.

    - Doctors of the clinic only (ISSUE_PRESCRIPTION), for a patient of the clinic; anyone else
      aiming at a patient gets PATIENT_NOT_FOUND, other roles INSUFFICIENT_PERMISSIONS.
    - The doctor must be allowed to read the patient's PHI (a treatment consent, or break-glass):
      prescribing is treatment, and the answer carries the prescription back. Without it:
      CONSENT_EXPIRED.
    - ``appointment_id``, when given, is an appointment of that clinic and patient.
    - 1 to 20 medications, every field bounded; VALIDATION_ERROR names each bad field.
    - With an Idempotency-Key (per clinic and caller, 24 h): the same request returns the first
      result again, as it was (the same prescription and link); another request under the key
      is IDEMPOTENCY_KEY_REUSED. Access is checked again on a replay.
    - In one unit: the version, its PrescriptionIssued event (ids and times only) and the
      ISSUE_PRESCRIPTION audit entry. The answer carries a signed document link.
    """

    def __init__(
        self,
        memberships: MembershipRepository,
        consents: ConsentRepository,
        grants: EmergencyGrantRepository,
        appointments: AppointmentRepository,
        prescriptions: PrescriptionRepository,
        idempotency: IdempotencyStore,
        events: EventOutbox,
        links: DocumentLinks,
        policy: LinkPolicy,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
    ) -> None:
        self._memberships = memberships
        self._consents = consents
        self._grants = grants
        self._appointments = appointments
        self._prescriptions = prescriptions
        self._idempotency = idempotency
        self._events = events
        self._links = links
        self._policy = policy
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: IssuePrescriptionCommand, actor: Actor) -> IssuedPrescription:
        key = None if cmd.idempotency_key is None else checked_key(cmd.idempotency_key)
        return await self._uow.run(lambda: self._execute(cmd, key, actor))

    async def _execute(
        self, cmd: IssuePrescriptionCommand, key: str | None, actor: Actor
    ) -> IssuedPrescription:
        require_for_patient(
            actor, Action.ISSUE_PRESCRIPTION, cmd.clinic_id, cmd.patient_id, PatientNotFound()
        )
        await require_patient(self._memberships, cmd.clinic_id, cmd.patient_id)
        now = self._clock.now()
        await authorize_phi_read(
            actor,
            cmd.clinic_id,
            cmd.patient_id,
            location_id=None,
            consents=self._consents,
            grants=self._grants,
            now=now,
        )
        content = PrescriptionContent.of(cmd.medications, cmd.notes, salt=new_salt())
        request = None
        if key is not None:
            request = IdempotentRequest(
                clinic_id=cmd.clinic_id,
                scope=f"prescriptions.issue:{actor.user_id}",
                key=key,
                request_hash=request_digest(cmd),
            )
            stored = await self._idempotency.reserve(request, now=now)
            if stored is not None:
                return await self._replay(cmd.clinic_id, stored, now)
        await require_appointment(self._appointments, cmd.clinic_id, cmd.patient_id, cmd.appointment_id)
        prescription = Prescription.issue(
            id=self._ids.new_id(),
            clinic_id=cmd.clinic_id,
            patient_id=cmd.patient_id,
            prescriber_id=actor.user_id,
            appointment_id=cmd.appointment_id,
            content=content,
            issued_at=now,
        )
        await self._prescriptions.add(prescription)
        await self._events.add(issued_event(self._ids.new_id(), prescription))
        self._uow.record(
            self._audit.entry(
                actor,
                "ISSUE_PRESCRIPTION",
                RESOURCE,
                prescription.id,
                clinic_id=cmd.clinic_id,
                patient_id=cmd.patient_id,
            )
        )
        issued = IssuedPrescription(
            prescription=prescription, link=link_for(self._links, self._policy, prescription, now)
        )
        if request is not None:
            await self._idempotency.remember(request, _response(issued))
        await self._uow.commit()
        return issued

    async def _replay(self, clinic_id: UUID, stored: StoredResponse, now: datetime) -> IssuedPrescription:
        body = json.loads(stored.body)
        prescription = await self._prescriptions.get(clinic_id, UUID(body["prescription_id"]))
        if prescription is None:  # a stored response always names a stored version
            raise PrescriptionNotFound(context="idempotent replay of a missing prescription")
        link = DocumentLink(token=body["token"], expires_at=datetime.fromisoformat(body["expires_at"]))
        if link.expires_at <= now:  # a short link lifetime must not make the replay useless
            link = link_for(self._links, self._policy, prescription, now)
        return IssuedPrescription(prescription=prescription, link=link, replayed=True)


def issued_event(event_id: UUID, prescription: Prescription) -> DomainEvent:
    """PrescriptionIssued, for a first version or a correction (``supersedes``): ids and times
    only. No link either: whoever notifies the patient signs a fresh one (DocumentLinks)."""
    data = {
        "patientId": str(prescription.patient_id),
        "prescriberId": str(prescription.prescriber_id),
        "lineageId": str(prescription.lineage_id),
        "issuedAt": prescription.issued_at.isoformat(),
    }
    if prescription.previous_id is not None:
        data["supersedes"] = str(prescription.previous_id)
    if prescription.appointment_id is not None:
        data["appointmentId"] = str(prescription.appointment_id)
    return DomainEvent(
        id=event_id,
        clinic_id=prescription.clinic_id,
        kind=EventKind.PRESCRIPTION_ISSUED,
        subject_id=prescription.id,
        occurred_at=prescription.issued_at,
        data=data,
    )

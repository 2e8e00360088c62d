"""What the prescription use cases share: finding a version by id, and its document link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.ports.appointments import AppointmentRepository
from application.ports.document_links import DocumentGrant, DocumentLinks
from application.ports.prescriptions import ContentUnreadable, PrescriptionRepository, StoredVersion
from domain.access import Actor
from domain.errors import AppointmentNotFound, PrescriptionNotFound
from domain.prescriptions import Prescription

RESOURCE = "prescription"
# (clinic_id, prescription_id) -> the version or None: a repository's ``get``, or a cached read.
Lookup = Callable[[UUID, UUID], Awaitable[Prescription | None]]


def prescription_tag(prescription_id: UUID) -> str:
    """The cache tag of a version. A correction touches the corrected version's tag: its
    ``superseded_by`` changes then, though nothing stored about it does."""
    return f"prescription:{prescription_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkPolicy:
    """How long a document link stays valid (PRESCRIPTION_LINK_TTL_HOURS)."""

    ttl: timedelta = timedelta(hours=72)


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentLink:
    token: str
    expires_at: datetime


def link_for(
    links: DocumentLinks, policy: LinkPolicy, prescription: Prescription, now: datetime
) -> DocumentLink:
    grant = DocumentGrant(
        prescription_id=prescription.id, clinic_id=prescription.clinic_id, expires_at=now + policy.ttl
    )
    return DocumentLink(token=links.sign(grant), expires_at=grant.expires_at)


async def find_prescription(get: Lookup, actor: Actor, prescription_id: UUID) -> Prescription:
    """The version among the clinics the actor belongs to (a prescription's URL carries no
    clinic), or PRESCRIPTION_NOT_FOUND: another clinic's ids reveal nothing. Raises
    ContentUnreadable for a version whose sealed content does not open."""
    for clinic_id in sorted(actor.clinic_ids):
        found = await get(clinic_id, prescription_id)
        if found is not None:
            return found
    raise PrescriptionNotFound()


async def find_stored(
    prescriptions: PrescriptionRepository, actor: Actor, prescription_id: UUID
) -> Prescription | StoredVersion:
    """As ``find_prescription``, but a version whose content does not open is returned as what
    is known of it instead of raising."""
    try:
        return await find_prescription(prescriptions.get, actor, prescription_id)
    except ContentUnreadable as unreadable:
        return unreadable.stored


async def require_appointment(
    appointments: AppointmentRepository, clinic_id: UUID, patient_id: UUID, appointment_id: UUID | None
) -> None:
    """An appointment named on a prescription is one of that clinic and that patient; anything
    else is APPOINTMENT_NOT_FOUND (another patient's appointment is not revealed)."""
    if appointment_id is None:
        return
    appointment = await appointments.get(clinic_id, appointment_id)
    if appointment is None or appointment.patient_id != patient_id:
        raise AppointmentNotFound()

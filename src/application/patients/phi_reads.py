"""Shared pieces of the use cases that read a patient's record: the PHI gate, and its audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from application.auditing import denial
from application.consent.phi_access import PhiAccess, authorize_phi_read
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from domain.access import Actor
from domain.errors import DomainError
from domain.patients import EmergencyContact, Patient

VIEW_PATIENT = "VIEW_PATIENT"


def read_action(base: str, access: PhiAccess) -> str:
    """The audited action of a PHI read, naming its basis: ``VIEW_PATIENT_SELF``,
    ``VIEW_PATIENT_CONSENT`` or ``VIEW_PATIENT_EMERGENCY`` (break-glass reads stand out)."""
    return f"{base}_{access.basis.value.upper()}"


async def gate_phi_read(
    actor: Actor,
    clinic_id: UUID,
    patient_id: UUID,
    *,
    consents: ConsentRepository,
    grants: EmergencyGrantRepository,
    now: datetime,
    action: str = VIEW_PATIENT,
) -> PhiAccess:
    """``authorize_phi_read``, with every refusal carrying its denial (audited as DENIED)."""
    try:
        return await authorize_phi_read(
            actor, clinic_id, patient_id, location_id=None, consents=consents, grants=grants, now=now
        )
    except DomainError as error:
        error.denial = denial(
            actor, action, clinic_id, resource=("patient", patient_id), patient_id=patient_id
        )
        raise


def clinic_today(now: datetime, zone_name: str | None) -> date:
    """Today in the clinic's time zone (UTC when unknown): a birth date may be today there."""
    return now.astimezone(ZoneInfo(zone_name)).date() if zone_name else now.date()


def raw_fields(patient: Patient) -> dict[str, Any]:
    """A record's PHI fields as the raw input ``domain.patients.patient_details`` validates."""
    return {
        "name": patient.name,
        "date_of_birth": patient.date_of_birth,
        "phone": patient.phone.value if patient.phone else None,
        "email": patient.email.value if patient.email else None,
        "address": patient.address,
        "emergency_contact": contact_fields(patient.emergency_contact),
        "allergies": patient.allergies,
        "notes": patient.notes,
    }


def contact_fields(contact: EmergencyContact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {"name": contact.name, "phone": contact.phone.value, "relationship": contact.relationship}

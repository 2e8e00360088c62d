"""Request and response bodies of the patients routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from application.patients.search_patients import PatientMatch
from domain.patients import Patient
from entrypoints.http.schemas import In, Out


class EmergencyContactIn(In):
    name: str
    phone: str
    relationship: str | None = None


# Dates and contacts arrive as text: the domain validates them, naming each field in the details.
class PatientIn(In):
    name: str
    date_of_birth: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    emergency_contact: EmergencyContactIn | None = None
    allergies: list[str] | None = None
    notes: str | None = None

    def fields(self) -> dict[str, Any]:
        return _fields(self)


class PatientPatchIn(In):
    """Only the fields sent change; ``null`` clears an optional one."""

    name: str | UnsetType = UNSET
    date_of_birth: str | UnsetType = UNSET
    phone: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    address: str | UnsetType | None = UNSET
    emergency_contact: EmergencyContactIn | UnsetType | None = UNSET
    allergies: list[str] | UnsetType | None = UNSET
    notes: str | UnsetType | None = UNSET

    def changes(self) -> dict[str, Any]:
        return _fields(self)


def _fields(body: msgspec.Struct) -> dict[str, Any]:
    """The fields sent, by Python name; an emergency contact as a plain dict."""
    sent: dict[str, Any] = {}
    for name in body.__struct_fields__:
        value = getattr(body, name)
        if value is UNSET:
            continue
        if isinstance(value, EmergencyContactIn):
            value = {"name": value.name, "phone": value.phone, "relationship": value.relationship}
        sent[name] = value
    return sent


class EmergencyContactOut(Out):
    name: str
    phone: str
    relationship: str | None


class PatientOut(Out):
    id: UUID
    clinic_id: UUID
    name: str
    date_of_birth: date
    phone: str | None
    email: str | None
    address: str | None
    emergency_contact: EmergencyContactOut | None
    allergies: list[str]
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, patient: Patient) -> PatientOut:
        contact = patient.emergency_contact
        return cls(
            id=patient.id,
            clinic_id=patient.clinic_id,
            name=patient.name,
            date_of_birth=patient.date_of_birth,
            phone=patient.phone.value if patient.phone else None,
            email=patient.email.value if patient.email else None,
            address=patient.address,
            emergency_contact=EmergencyContactOut(
                name=contact.name, phone=contact.phone.value, relationship=contact.relationship
            )
            if contact
            else None,
            allergies=list(patient.allergies),
            notes=patient.notes,
            version=patient.version,
            created_at=patient.created_at,
            updated_at=patient.updated_at,
        )


class PatientMatchOut(Out):
    """A search result: identity only; the record itself is read by id (consent applies)."""

    id: UUID
    name: str
    date_of_birth: date

    @classmethod
    def of(cls, match: PatientMatch) -> PatientMatchOut:
        return cls(id=match.id, name=match.name, date_of_birth=match.date_of_birth)


class PatientMatchListOut(Out):
    items: list[PatientMatchOut]
    next_cursor: str | None

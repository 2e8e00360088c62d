"""A clinic's record of one patient: protected health information (PHI).

Rules:
- A patient of a clinic is a user with the PATIENT membership there; the record has the user's
  id. The record is the clinic's own: its contact details may differ from the user's sign-in
  identity, and nothing in it comes from another clinic.
- Name: 1 to 200 characters. Date of birth: a real date after 1900-01-01, not in the future.
  At least a phone or an email. At most 50 allergies of 1 to 200 characters each, notes at most
  5000 characters, an address at most 500.
- Invalid fields are reported together, one detail per field (camelCase, as clients send them).
- A deleted record is kept (``deleted_at``) for the retention period, then purged; it is hidden
  from every read and search meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from domain.contact import Email, PhoneNumber
from domain.errors import DomainError, ValidationFailed
from domain.identity import person_name

T = TypeVar("T")
EARLIEST_BIRTH = date(1900, 1, 1)
MAX_ALLERGIES = 50
MAX_ALLERGY_LENGTH = 200
MAX_NOTES = 5000
MAX_ADDRESS = 500
MAX_RELATIONSHIP = 100


class Problems:
    """Collects field problems so that a request hears about all of them at once."""

    def __init__(self) -> None:
        self.details: dict[str, str] = {}

    def check(self, name: str, make: Callable[[], T]) -> T | None:
        try:
            return make()
        except DomainError as error:
            self.details[name] = _first_detail(error)
            return None

    def add(self, name: str, message: str) -> None:
        self.details.setdefault(name, message)

    def raise_any(self) -> None:
        if self.details:
            raise ValidationFailed(details=dict(sorted(self.details.items())))


def _first_detail(error: DomainError) -> str:
    if error.details:
        return str(next(iter(error.details.values())))
    return error.message


@dataclass(frozen=True, slots=True, kw_only=True)
class EmergencyContact:
    name: str
    phone: PhoneNumber
    relationship: str | None = None


@dataclass(slots=True, kw_only=True)
class Patient:
    """The record; build it through ``patient_details`` so that every field is validated."""

    id: UUID
    clinic_id: UUID
    name: str
    date_of_birth: date
    phone: PhoneNumber | None = None
    email: Email | None = None
    address: str | None = None
    emergency_contact: EmergencyContact | None = None
    allergies: tuple[str, ...] = ()
    notes: str | None = None
    version: int = 1
    created_at: datetime
    created_by: UUID | None = None
    updated_at: datetime
    updated_by: UUID | None = None
    deleted_at: datetime | None = None
    deleted_by: UUID | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def change(self, details: PatientDetails, *, at: datetime, by: UUID) -> None:
        """Replace the PHI fields with ``details`` (already validated) and bump the version."""
        self.name = details.name
        self.date_of_birth = details.date_of_birth
        self.phone = details.phone
        self.email = details.email
        self.address = details.address
        self.emergency_contact = details.emergency_contact
        self.allergies = details.allergies
        self.notes = details.notes
        self.version += 1
        self.updated_at, self.updated_by = at, by

    def delete(self, *, at: datetime, by: UUID) -> None:
        self.deleted_at, self.deleted_by = at, by
        self.version += 1
        self.updated_at, self.updated_by = at, by

    @property
    def details(self) -> PatientDetails:
        return PatientDetails(
            name=self.name,
            date_of_birth=self.date_of_birth,
            phone=self.phone,
            email=self.email,
            address=self.address,
            emergency_contact=self.emergency_contact,
            allergies=self.allergies,
            notes=self.notes,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientDetails:
    """The PHI fields of a record, validated."""

    name: str
    date_of_birth: date
    phone: PhoneNumber | None = None
    email: Email | None = None
    address: str | None = None
    emergency_contact: EmergencyContact | None = None
    allergies: tuple[str, ...] = field(default_factory=tuple)
    notes: str | None = None


def patient_details(raw: dict[str, Any], *, today: date) -> PatientDetails:
    """Validate raw fields (Python names; ``emergency_contact`` a dict with name, phone,
    relationship) into PatientDetails, or raise ValidationFailed naming every bad field."""
    problems = Problems()
    name = problems.check("name", lambda: person_name(str(raw.get("name") or "")))
    born = problems.check("dateOfBirth", lambda: _birth_date(raw.get("date_of_birth"), today))
    phone = _optional(problems, "phone", raw.get("phone"), PhoneNumber)
    email = _optional(problems, "email", raw.get("email"), Email)
    if raw.get("phone") is None and raw.get("email") is None:
        problems.add("phone", "a phone number or an email is required")
    address = _bounded_text(problems, "address", raw.get("address"), MAX_ADDRESS)
    contact = _emergency_contact(problems, raw.get("emergency_contact"))
    allergies = _allergies(problems, raw.get("allergies") or ())
    notes = _bounded_text(problems, "notes", raw.get("notes"), MAX_NOTES)
    problems.raise_any()
    if name is None or born is None:  # unreachable: raise_any reported them
        raise ValidationFailed()
    return PatientDetails(
        name=name,
        date_of_birth=born,
        phone=phone,
        email=email,
        address=address,
        emergency_contact=contact,
        allergies=allergies,
        notes=notes,
    )


def _birth_date(value: object, today: date) -> date:
    if isinstance(value, datetime) or not isinstance(value, date | str):
        raise ValidationFailed(details={"dateOfBirth": "expected a date as YYYY-MM-DD"})
    try:
        born = value if isinstance(value, date) else date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(details={"dateOfBirth": "expected a date as YYYY-MM-DD"}) from None
    if not EARLIEST_BIRTH <= born <= today:
        raise ValidationFailed(details={"dateOfBirth": "expected a date from 1900-01-01 to today"})
    return born


def _optional(problems: Problems, name: str, value: Any, make: Callable[[str], T]) -> T | None:
    if value is None:
        return None
    return problems.check(name, lambda: make(str(value)))


def _bounded_text(problems: Problems, name: str, value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        problems.add(name, f"expected at most {limit} characters")
        return None
    return text or None


def _emergency_contact(problems: Problems, value: Any) -> EmergencyContact | None:
    if value is None:
        return None
    raw = dict(value)
    name = problems.check("emergencyContact.name", lambda: person_name(str(raw.get("name") or "")))
    phone = problems.check("emergencyContact.phone", lambda: PhoneNumber(str(raw.get("phone") or "")))
    relationship = _bounded_text(
        problems, "emergencyContact.relationship", raw.get("relationship"), MAX_RELATIONSHIP
    )
    if name is None or phone is None:
        return None
    return EmergencyContact(name=name, phone=phone, relationship=relationship)


def _allergies(problems: Problems, values: Iterable[Any]) -> tuple[str, ...]:
    items = [str(v).strip() for v in values]
    if len(items) > MAX_ALLERGIES:
        problems.add("allergies", f"expected at most {MAX_ALLERGIES} items")
        return ()
    for index, item in enumerate(items):
        if not 1 <= len(item) <= MAX_ALLERGY_LENGTH:
            problems.add(f"allergies[{index}]", f"expected 1 to {MAX_ALLERGY_LENGTH} characters")
    return tuple(dict.fromkeys(items))

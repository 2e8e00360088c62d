"""People and their standing in clinics: users, roles and memberships."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.contact import Email, PhoneNumber
from domain.errors import ValidationFailed


class Role(StrEnum):
    SUPER_ADMIN = "SUPER_ADMIN"
    CLINIC_ADMIN = "CLINIC_ADMIN"
    DOCTOR = "DOCTOR"
    RECEPTIONIST = "RECEPTIONIST"
    PATIENT = "PATIENT"


STAFF_ROLES = frozenset({Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST})


def person_name(value: str, field_name: str = "name") -> str:
    """A display name: trimmed, 1 to 200 characters."""
    text = value.strip()
    if not 1 <= len(text) <= 200:
        raise ValidationFailed(details={field_name: "expected 1 to 200 characters"})
    return text


@dataclass(slots=True, kw_only=True)
class User:
    """Someone who can sign in. ``is_super_admin`` grants the platform-wide SUPER_ADMIN role;
    every other role is held through a clinic Membership."""

    id: UUID
    email: Email | None
    phone: PhoneNumber | None
    name: str
    active: bool = True
    is_super_admin: bool = False
    created_at: datetime
    created_by: UUID | None = None

    def __post_init__(self) -> None:
        self.name = person_name(self.name)
        if self.email is None and self.phone is None:
            raise ValidationFailed(details={"email": "an email or a phone number is required"})


@dataclass(slots=True, kw_only=True)
class Membership:
    """A user's role in one clinic, optionally limited to some of its locations.

    Rules: SUPER_ADMIN is never held through a membership (it is platform-wide); a user has at
    most one membership per clinic; an empty ``location_ids`` means every location.
    """

    clinic_id: UUID
    user_id: UUID
    role: Role
    location_ids: frozenset[UUID] = field(default_factory=frozenset)
    created_at: datetime
    created_by: UUID | None = None

    def __post_init__(self) -> None:
        if self.role is Role.SUPER_ADMIN:
            raise ValidationFailed(
                "SUPER_ADMIN is a platform role and cannot be granted in a clinic.",
                details={"role": "expected one of CLINIC_ADMIN, DOCTOR, RECEPTIONIST, PATIENT"},
            )

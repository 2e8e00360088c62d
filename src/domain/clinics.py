"""Clinics and their locations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.contact import Email, PhoneNumber
from domain.errors import ValidationFailed
from domain.identity import person_name


def time_zone(name: str) -> str:
    """An IANA time zone name such as ``Europe/Berlin``; raises ValidationFailed otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            details={"timeZone": "expected an IANA time zone such as Europe/Berlin"}
        ) from None
    return name


@dataclass(slots=True, kw_only=True)
class Clinic:
    """A clinic: the unit of tenancy. ``version`` grows by one with every change (ETag)."""

    id: UUID
    name: str
    time_zone: str
    contact_email: Email | None = None
    contact_phone: PhoneNumber | None = None
    active: bool = True
    version: int = 1
    created_at: datetime
    updated_at: datetime
    created_by: UUID | None = None  # None: the system itself (seeding, operators' CLI)
    updated_by: UUID | None = None

    def __post_init__(self) -> None:
        self.name = person_name(self.name)
        self.time_zone = time_zone(self.time_zone)

    def change(
        self,
        *,
        at: datetime,
        by: UUID | None,
        name: str | None = None,
        time_zone_name: str | None = None,
        contact_email: Email | None = None,
        contact_phone: PhoneNumber | None = None,
        active: bool | None = None,
    ) -> None:
        """Apply the given changes (None leaves a field as it is) and bump the version."""
        if name is not None:
            self.name = person_name(name)
        if time_zone_name is not None:
            self.time_zone = time_zone(time_zone_name)
        if contact_email is not None:
            self.contact_email = contact_email
        if contact_phone is not None:
            self.contact_phone = contact_phone
        if active is not None:
            self.active = active
        self.version += 1
        self.updated_at = at
        self.updated_by = by


@dataclass(slots=True, kw_only=True)
class ClinicLocation:
    """A place where a clinic sees patients."""

    id: UUID
    clinic_id: UUID
    name: str
    address: str
    created_at: datetime
    created_by: UUID | None = None

    def __post_init__(self) -> None:
        self.name = person_name(self.name)
        self.address = self.address.strip()
        if not 1 <= len(self.address) <= 500:
            raise ValidationFailed(details={"address": "expected 1 to 500 characters"})

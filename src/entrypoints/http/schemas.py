"""Request and response bodies: camelCase JSON, unknown input fields refused.

Responses name their fields explicitly and never carry hashes, secrets or another clinic's data.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from domain.clinics import Clinic, ClinicLocation
from domain.identity import Membership, User


class In(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """Base of request bodies."""


class Out(msgspec.Struct, rename="camel"):
    """Base of response bodies."""


class ClinicIn(In):
    name: str
    time_zone: str
    contact_email: str | None = None
    contact_phone: str | None = None


class ClinicPatchIn(In):
    name: str | None = None
    time_zone: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    active: bool | None = None


class ClinicOut(Out):
    id: UUID
    name: str
    time_zone: str
    contact_email: str | None
    contact_phone: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, clinic: Clinic) -> ClinicOut:
        return cls(
            id=clinic.id,
            name=clinic.name,
            time_zone=clinic.time_zone,
            contact_email=str(clinic.contact_email) if clinic.contact_email else None,
            contact_phone=str(clinic.contact_phone) if clinic.contact_phone else None,
            active=clinic.active,
            version=clinic.version,
            created_at=clinic.created_at,
            updated_at=clinic.updated_at,
        )


class ClinicListOut(Out):
    items: list[ClinicOut]
    next_cursor: str | None


class LocationIn(In):
    name: str
    address: str


class LocationOut(Out):
    id: UUID
    clinic_id: UUID
    name: str
    address: str
    created_at: datetime

    @classmethod
    def of(cls, location: ClinicLocation) -> LocationOut:
        return cls(
            id=location.id,
            clinic_id=location.clinic_id,
            name=location.name,
            address=location.address,
            created_at=location.created_at,
        )


class LocationListOut(Out):
    items: list[LocationOut]
    next_cursor: str | None


class UserIn(In):
    name: str
    email: str | None = None
    phone: str | None = None


class UserOut(Out):
    id: UUID
    name: str
    email: str | None
    phone: str | None
    active: bool
    is_super_admin: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            name=user.name,
            email=str(user.email) if user.email else None,
            phone=str(user.phone) if user.phone else None,
            active=user.active,
            is_super_admin=user.is_super_admin,
            created_at=user.created_at,
        )


class MemberIn(In):
    user_id: UUID
    role: str
    location_ids: list[UUID] = msgspec.field(default_factory=list)


class MemberOut(Out):
    clinic_id: UUID
    user_id: UUID
    role: str
    location_ids: list[UUID]
    created_at: datetime

    @classmethod
    def of(cls, membership: Membership) -> MemberOut:
        return cls(
            clinic_id=membership.clinic_id,
            user_id=membership.user_id,
            role=membership.role.value,
            location_ids=sorted(membership.location_ids),
            created_at=membership.created_at,
        )


class MemberListOut(Out):
    items: list[MemberOut]
    next_cursor: str | None

"""Mapping between the domain dataclasses and the tables: Records in, column values out.

Writes go through ``insert(...).values(row)`` / ``update(...).values(row)``, so the ``..._row``
functions give plain column values; reads give Records, turned into domain objects here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from adapters.sql.records import ClinicRecord, LocationRecord, MembershipRecord
from domain.clinics import Clinic, ClinicLocation
from domain.contact import Email, PhoneNumber
from domain.identity import Membership, Role

Row = dict[str, Any]


def _uuid(value: UUID) -> UUID:
    # asyncpg returns its own UUID subclass; the domain gets the standard one.
    return value if type(value) is UUID else UUID(int=value.int)


def _maybe_uuid(value: UUID | None) -> UUID | None:
    return None if value is None else _uuid(value)


def clinic_row(clinic: Clinic) -> Row:
    return {
        "id": clinic.id,
        "name": clinic.name,
        "time_zone": clinic.time_zone,
        "contact_email": clinic.contact_email.value if clinic.contact_email else None,
        "contact_phone": clinic.contact_phone.value if clinic.contact_phone else None,
        "active": clinic.active,
        "version": clinic.version,
        "created_at": clinic.created_at,
        "updated_at": clinic.updated_at,
        "created_by": clinic.created_by,
        "updated_by": clinic.updated_by,
    }


def clinic_of(record: ClinicRecord) -> Clinic:
    return Clinic(
        id=_uuid(record.id),
        name=record.name,
        time_zone=record.time_zone,
        contact_email=Email(record.contact_email) if record.contact_email else None,
        contact_phone=PhoneNumber(record.contact_phone) if record.contact_phone else None,
        active=record.active,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        created_by=_maybe_uuid(record.created_by),
        updated_by=_maybe_uuid(record.updated_by),
    )


def location_row(location: ClinicLocation) -> Row:
    return {
        "clinic_id": location.clinic_id,
        "id": location.id,
        "name": location.name,
        "address": location.address,
        "created_at": location.created_at,
        "created_by": location.created_by,
    }


def location_of(record: LocationRecord) -> ClinicLocation:
    return ClinicLocation(
        id=_uuid(record.id),
        clinic_id=_uuid(record.clinic_id),
        name=record.name,
        address=record.address,
        created_at=record.created_at,
        created_by=_maybe_uuid(record.created_by),
    )


def membership_row(membership: Membership) -> Row:
    return {
        "clinic_id": membership.clinic_id,
        "user_id": membership.user_id,
        "role": membership.role.value,
        "location_ids": sorted(str(i) for i in membership.location_ids),
        "created_at": membership.created_at,
        "created_by": membership.created_by,
    }


def membership_of(record: MembershipRecord) -> Membership:
    return Membership(
        clinic_id=_uuid(record.clinic_id),
        user_id=_uuid(record.user_id),
        role=Role(record.role),
        location_ids=frozenset(UUID(i) for i in record.location_ids),
        created_at=record.created_at,
        created_by=_maybe_uuid(record.created_by),
    )

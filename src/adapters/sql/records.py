"""The tables, as SQLAlchemy declarative ``...Record`` classes. They never leave this package.

Every clinic-owned table has ``clinic_id`` NOT NULL leading its primary key, so the schema can
later be distributed by clinic without a rewrite. Constraint names follow NAMING_CONVENTION;
the error translation (adapters.sql.errors) relies on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# advanced_alchemy's JsonB needs an API SQLAlchemy 2.1 dropped; this is the same variant, minus Oracle.
JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")


# PostgreSQL: native uuid. SQLite: 32 hex characters, which sort like the UUIDs themselves (keyset
# pagination) and reflect as CHAR(32); GUID's BINARY(16) would reflect as NUMERIC, a false drift.
UUID_TYPE = GUID(binary=False)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {UUID: UUID_TYPE, datetime: DateTimeUTC}


class ClinicRecord(Base):
    __tablename__ = "clinics"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[UUID | None]
    updated_by: Mapped[UUID | None]


class LocationRecord(Base):
    __tablename__ = "clinic_locations"
    __table_args__ = (PrimaryKeyConstraint("clinic_id", "id"),)

    clinic_id: Mapped[UUID] = mapped_column(ForeignKey("clinics.id"))
    id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    created_by: Mapped[UUID | None]


class UserRecord(Base):
    """Users are platform-wide (not clinic-owned). Name, email and phone are sealed with the PHI
    key ring; ``email_index`` (of the lower-cased address) and ``phone_index`` are keyed blind
    indexes, unique, so lookups and duplicates work without the clear text."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("email_index"), UniqueConstraint("phone_index"))

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    email_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_index: Mapped[str | None] = mapped_column(String(64))
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool]
    is_super_admin: Mapped[bool]
    created_at: Mapped[datetime]
    created_by: Mapped[UUID | None]


class MembershipRecord(Base):
    """``location_ids`` is a JSON list of UUID strings; empty means every location."""

    __tablename__ = "clinic_memberships"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "user_id"),
        # Not led by clinic_id: finding a user's clinics is the one cross-clinic lookup
        # (a non-unique index needs no distribution column).
        Index("ix_clinic_memberships_user_id", "user_id"),
    )

    clinic_id: Mapped[UUID] = mapped_column(ForeignKey("clinics.id"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    location_ids: Mapped[list[Any]] = mapped_column(JSON_DOCUMENT)
    created_at: Mapped[datetime]
    created_by: Mapped[UUID | None]

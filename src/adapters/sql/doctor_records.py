"""The doctors tables (migration 0009), clinic-owned: ``clinic_id`` leads every key.

A doctor's weekly schedule is one JSON document (``{"hours": [...], "breaks": [...]}``): it is
read and replaced whole, never queried by its parts. Nothing here is patient data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKeyConstraint, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sql.records import JSON_DOCUMENT, Base


class DoctorRow(Base):
    __tablename__ = "doctors"
    __table_args__ = (PrimaryKeyConstraint("clinic_id", "id"),)

    clinic_id: Mapped[UUID]
    id: Mapped[UUID]  # the doctor's user id
    specialty: Mapped[str] = mapped_column(String(120))
    licence_number: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(200))
    bio: Mapped[str | None] = mapped_column(String(2000))
    slot_minutes: Mapped[int]
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON_DOCUMENT)
    active: Mapped[bool]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[UUID | None]
    updated_by: Mapped[UUID | None]


class TimeOffRow(Base):
    __tablename__ = "doctor_time_off"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "id"),
        ForeignKeyConstraint(["clinic_id", "doctor_id"], ["doctors.clinic_id", "doctors.id"]),
        Index("ix_doctor_time_off_clinic_id_doctor_id_starts_at", "clinic_id", "doctor_id", "starts_at"),
    )

    clinic_id: Mapped[UUID]
    id: Mapped[UUID]
    doctor_id: Mapped[UUID]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    created_by: Mapped[UUID | None]

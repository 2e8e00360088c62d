"""The appointments table (migration 0011), clinic-owned: ``clinic_id`` leads every key.

The patient's reason and a cancellation's reason are PHI: sealed with the FieldCipher, bound to
the clinic, the row and the column. ``status`` holds the domain's statuses plus one storage
marker, ``EXPIRED``: a hold whose expiry passed and that a later write retired so that the
exclusion constraints (PostgreSQL, see the migration) stop counting it; it reads back as the
lapsed HELD it is. The no-overlap exclusion constraints are PostgreSQL-only DDL in the migration.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sql.records import Base

EXPIRED = "EXPIRED"  # storage marker: a lapsed hold, no longer under the exclusion constraints
BLOCKING_STATUSES = ("HELD", "BOOKED", "CHECKED_IN")  # what the exclusion constraints count
DOCTOR_OVERLAP = "ex_appointments_doctor_overlap"
PATIENT_OVERLAP = "ex_appointments_patient_overlap"


class AppointmentRow(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "id"),
        # Lists run in (starts_at, id) order, filtered by nothing, a doctor, a patient or a location.
        Index("ix_appointments_clinic_id_starts_at_id", "clinic_id", "starts_at", "id"),
        Index(
            "ix_appointments_clinic_id_doctor_id_starts_at_id", "clinic_id", "doctor_id", "starts_at", "id"
        ),
        Index(
            "ix_appointments_clinic_id_patient_id_starts_at_id", "clinic_id", "patient_id", "starts_at", "id"
        ),
        Index(
            "ix_appointments_clinic_id_location_id_starts_at_id",
            "clinic_id",
            "location_id",
            "starts_at",
            "id",
        ),
    )

    clinic_id: Mapped[UUID]
    id: Mapped[UUID]
    location_id: Mapped[UUID]
    doctor_id: Mapped[UUID]
    patient_id: Mapped[UUID]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    reason_sealed: Mapped[bytes | None]
    hold_expires_at: Mapped[datetime | None]
    cancelled_reason_sealed: Mapped[bytes | None]
    cancelled_by: Mapped[UUID | None]
    cancelled_at: Mapped[datetime | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    created_by: Mapped[UUID]
    updated_at: Mapped[datetime]
    updated_by: Mapped[UUID]

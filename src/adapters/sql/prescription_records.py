"""The prescriptions tables (migration 0012), clinic-owned: ``clinic_id`` leads every key."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, LargeBinary, PrimaryKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

# Migration 0012 creates the shared idempotency table too; importing it here registers it with the
# metadata that adapters.sql.schema gathers for Alembic and the schema test.
from adapters.sql.idempotency_records import IdempotencyKeyRow
from adapters.sql.records import Base

__all__ = ["IdempotencyKeyRow", "PrescriptionRow"]


class PrescriptionRow(Base):
    """One immutable version. Rows are only ever inserted: ``superseded_by`` is the row with the
    same lineage and the next version, which the unique constraint makes one at most."""

    __tablename__ = "prescriptions"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "id"),
        UniqueConstraint("clinic_id", "lineage_id", "version"),
        Index("ix_prescriptions_clinic_id_patient_id_id", "clinic_id", "patient_id", "id"),
    )

    clinic_id: Mapped[UUID]
    id: Mapped[UUID]
    patient_id: Mapped[UUID]
    prescriber_id: Mapped[UUID]
    appointment_id: Mapped[UUID | None]
    lineage_id: Mapped[UUID]
    version: Mapped[int]
    previous_id: Mapped[UUID | None]
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    # Medications, notes and the hash's salt: PHI, sealed together, bound to the clinic and the id.
    content_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    issued_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64))

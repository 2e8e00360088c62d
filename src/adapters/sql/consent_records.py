"""Tables of consent records and break-glass grants (clinic-owned: ``clinic_id`` leads the keys)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sql.records import Base


class ConsentRow(Base):
    __tablename__ = "patient_consents"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "id"),
        Index("ix_patient_consents_clinic_id_patient_id", "clinic_id", "patient_id", "recorded_at"),
    )

    clinic_id: Mapped[UUID]
    id: Mapped[UUID]
    patient_id: Mapped[UUID]
    scope: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[UUID]
    expires_at: Mapped[datetime | None]
    revokes: Mapped[UUID | None]


class EmergencyGrantRow(Base):
    __tablename__ = "emergency_grants"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "id"),
        Index("ix_emergency_grants_clinic_id_patient_id", "clinic_id", "patient_id", "granted_to"),
    )

    clinic_id: Mapped[UUID]
    id: Mapped[UUID]
    patient_id: Mapped[UUID]
    granted_to: Mapped[UUID]
    # The reason is free text a doctor typed in an emergency: it may name a condition, so it is PHI.
    reason_sealed: Mapped[bytes]
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]

"""The patients tables (migration 0010), clinic-owned: ``clinic_id`` leads every key.

``patients.sealed`` is one AES-GCM sealed JSON document of every PHI field (name, date of birth,
phone, email, address, emergency contact, allergies, notes), bound to the clinic and the row.
``phone_index`` and ``email_index`` are keyed blind indexes, unique among a clinic's live records
(a deleted record gives them up). ``patient_name_tokens`` holds blind indexes of the name's word
prefixes, for prefix search without decryption (domain.name_search says what that leaks).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sql.records import Base


class PatientRow(Base):
    __tablename__ = "patients"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "id"),
        UniqueConstraint("clinic_id", "phone_index"),
        UniqueConstraint("clinic_id", "email_index"),
        # Purging looks across clinics by age (an operator's job); a non-unique index needs no
        # distribution column.
        Index("ix_patients_deleted_at", "deleted_at"),
    )

    clinic_id: Mapped[UUID]
    id: Mapped[UUID]  # the patient's user id
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(String(64))
    email_index: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int]
    created_at: Mapped[datetime]
    created_by: Mapped[UUID | None]
    updated_at: Mapped[datetime]
    updated_by: Mapped[UUID | None]
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[UUID | None]


class PatientNameTokenRow(Base):
    __tablename__ = "patient_name_tokens"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "token", "patient_id"),
        ForeignKeyConstraint(["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"]),
        Index("ix_patient_name_tokens_clinic_id_patient_id", "clinic_id", "patient_id"),
    )

    clinic_id: Mapped[UUID]
    token: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[UUID]

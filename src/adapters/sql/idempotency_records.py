"""The idempotency-key table (migration 0012), clinic-owned: ``clinic_id`` leads the key."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, LargeBinary, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sql.records import Base


class IdempotencyKeyRow(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "scope", "key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    clinic_id: Mapped[UUID]
    scope: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(128))
    status: Mapped[str | None] = mapped_column(String(32))
    # The response may carry PHI (a prescription's medications): sealed, bound to clinic, scope and key.
    response_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]

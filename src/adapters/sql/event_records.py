"""The domain-event outbox table (migration 0008), clinic-owned: ``clinic_id`` leads the key."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sql.records import JSON_DOCUMENT, Base


class DomainEventRow(Base):
    __tablename__ = "domain_events"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "id"),
        Index("ix_domain_events_published_at_occurred_at", "published_at", "occurred_at"),
    )

    clinic_id: Mapped[UUID]
    id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[UUID]
    occurred_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSON_DOCUMENT)
    published_at: Mapped[datetime | None]

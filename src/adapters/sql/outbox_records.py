"""The outbox table: outbound messages and their delivery state.

Messages without a clinic (sign-in codes) are stored under PLATFORM_CLINIC, the nil UUID, rather
than a NULL: ``clinic_id`` stays NOT NULL and leads the primary key and the idempotency key, as in
every tenant table, so the table can be distributed by clinic later (a distribution column cannot
hold NULL). Recipient, parameters and the provider's recipient id are sealed with the PHI key ring.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast
from uuid import UUID

from sqlalchemy import Index, LargeBinary, PrimaryKeyConstraint, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sql.records import Base

PLATFORM_CLINIC = UUID(int=0)


class OutboxMessageRecord(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "id"),
        UniqueConstraint("clinic_id", "idempotency_key"),
        # Not led by clinic_id: the relay's claim, the webhooks' lookup by provider id and the
        # operator's lookup by id cross clinics (non-unique indexes need no distribution column).
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_messages_provider_message_id", "provider_message_id"),
        Index("ix_outbox_messages_id", "id"),
    )

    clinic_id: Mapped[UUID]
    id: Mapped[UUID]
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(40))
    recipient_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    parameters_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    not_before: Mapped[datetime]
    next_attempt_at: Mapped[datetime]  # while SENDING: when the lease ends (due again if it lapses)
    expires_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    provider_recipient_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


OUTBOX = cast(Table, OutboxMessageRecord.__table__)

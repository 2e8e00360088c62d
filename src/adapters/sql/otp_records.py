"""Tables of pending one-time codes and identity locks (keyed hashes only; no PII)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sql.records import Base


class OtpChallengeRecord(Base):
    __tablename__ = "otp_challenges"

    identity_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[UUID]
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int]
    used_at: Mapped[datetime | None]


class OtpLockRecord(Base):
    __tablename__ = "otp_locks"

    identity_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    locked_until: Mapped[datetime]

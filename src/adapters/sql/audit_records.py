"""Tables of the audit trail: the chained entries, the chains' heads, checkpoints, legacy entries.

``audit_entries`` is keyed by (chain, sequence): the chain is the clinic's id (or ``platform``),
so the key leads with the tenant like every clinic-owned table; ``clinic_id`` leads the indexes
the clinic's audit list uses. Triggers (revision 0003) refuse UPDATE and DELETE on the entries,
except the deletion of a prefix covered by the checkpoint a chain was pruned to; checkpoints are
never changed or deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sql.records import JSON_DOCUMENT, Base


class AuditEntryRecord(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        PrimaryKeyConstraint("chain", "sequence"),
        Index("ix_audit_entries_clinic_id_id", "clinic_id", "id"),
        Index(
            "ix_audit_entries_clinic_id_resource_type_resource_id",
            "clinic_id",
            "resource_type",
            "resource_id",
        ),
        Index("ix_audit_entries_clinic_id_actor_id", "clinic_id", "actor_id"),
        Index("ix_audit_entries_clinic_id_occurred_at", "clinic_id", "occurred_at"),
    )

    chain: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(BigInteger)
    id: Mapped[UUID]
    occurred_at: Mapped[datetime]
    actor_id: Mapped[UUID | None]
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(200))
    clinic_id: Mapped[UUID | None]
    patient_id: Mapped[UUID | None]
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(200))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    changed_fields: Mapped[list[Any]] = mapped_column(JSON_DOCUMENT)
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHeadRecord(Base):
    """One row per chain: its newest (sequence, hash), locked by every unit that appends to the
    chain; and the checkpoint it was pruned to (0 and the genesis hash until it is)."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    pruned_through: Mapped[int] = mapped_column(BigInteger)
    pruned_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRecord(Base):
    __tablename__ = "audit_checkpoints"
    __table_args__ = (PrimaryKeyConstraint("chain", "sequence"),)

    chain: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class LegacyAuditEntryRecord(Base):
    """Entries written before the trail was chained (revision 0003), kept as they were: they have
    no hashes, so nothing proves them; read-only, and outside the chains and their pruning."""

    __tablename__ = "audit_entries_legacy"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_audit_entries_legacy"),
        Index("ix_audit_entries_legacy_clinic_id_occurred_at", "clinic_id", "occurred_at"),
    )

    id: Mapped[UUID]
    occurred_at: Mapped[datetime]
    actor_id: Mapped[UUID | None]
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(200))
    clinic_id: Mapped[UUID | None]
    request_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))

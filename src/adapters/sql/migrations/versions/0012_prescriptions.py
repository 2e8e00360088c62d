"""Prescriptions (append-only versions) and the shared idempotency keys, clinic-owned, under
row-level security.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

from adapters.sql.migrations.tenant_rows import protect_tenant_tables

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TYPE = GUID(binary=False)
TABLES = ("idempotency_keys", "prescriptions")


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("scope", sa.String(128), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(128), nullable=False),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("response_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.Column("expires_at", DateTimeUTC(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "scope", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])
    op.create_table(
        "prescriptions",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("patient_id", UUID_TYPE, nullable=False),
        sa.Column("prescriber_id", UUID_TYPE, nullable=False),
        sa.Column("appointment_id", UUID_TYPE, nullable=True),
        sa.Column("lineage_id", UUID_TYPE, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_id", UUID_TYPE, nullable=True),
        sa.Column("previous_hash", sa.String(64), nullable=True),
        sa.Column("content_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("issued_at", DateTimeUTC(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_prescriptions"),
        sa.UniqueConstraint(
            "clinic_id", "lineage_id", "version", name="uq_prescriptions_clinic_id_lineage_id_version"
        ),
    )
    op.create_index(
        "ix_prescriptions_clinic_id_patient_id_id", "prescriptions", ["clinic_id", "patient_id", "id"]
    )
    protect_tenant_tables(*TABLES)


def downgrade() -> None:
    op.drop_table("prescriptions")
    op.drop_table("idempotency_keys")

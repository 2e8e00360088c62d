"""Consent history and break-glass grants, clinic-owned, under row-level security.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TYPE = GUID(binary=False)
TABLES = ("patient_consents", "emergency_grants")


def upgrade() -> None:
    op.create_table(
        "patient_consents",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("patient_id", UUID_TYPE, nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("recorded_at", DateTimeUTC(), nullable=False),
        sa.Column("recorded_by", UUID_TYPE, nullable=False),
        sa.Column("expires_at", DateTimeUTC(), nullable=True),
        sa.Column("revokes", UUID_TYPE, nullable=True),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_patient_consents"),
    )
    op.create_index(
        "ix_patient_consents_clinic_id_patient_id",
        "patient_consents",
        ["clinic_id", "patient_id", "recorded_at"],
    )
    op.create_table(
        "emergency_grants",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("patient_id", UUID_TYPE, nullable=False),
        sa.Column("granted_to", UUID_TYPE, nullable=False),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("granted_at", DateTimeUTC(), nullable=False),
        sa.Column("expires_at", DateTimeUTC(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_emergency_grants"),
    )
    op.create_index(
        "ix_emergency_grants_clinic_id_patient_id",
        "emergency_grants",
        ["clinic_id", "patient_id", "granted_to"],
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            visible = "app_clinic_visible(clinic_id)"
            op.execute(f"CREATE POLICY tenant_rows ON {table} USING ({visible}) WITH CHECK ({visible})")


def downgrade() -> None:
    op.drop_table("emergency_grants")
    op.drop_table("patient_consents")

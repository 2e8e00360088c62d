"""The patients tables, clinic-owned, under row-level security.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

from adapters.sql.migrations.tenant_rows import protect_tenant_tables

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TYPE = GUID(binary=False)
TABLES = ("patients", "patient_name_tokens")


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("phone_index", sa.String(64), nullable=True),
        sa.Column("email_index", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.Column("created_by", UUID_TYPE, nullable=True),
        sa.Column("updated_at", DateTimeUTC(), nullable=False),
        sa.Column("updated_by", UUID_TYPE, nullable=True),
        sa.Column("deleted_at", DateTimeUTC(), nullable=True),
        sa.Column("deleted_by", UUID_TYPE, nullable=True),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_patients"),
        sa.UniqueConstraint("clinic_id", "phone_index", name="uq_patients_clinic_id_phone_index"),
        sa.UniqueConstraint("clinic_id", "email_index", name="uq_patients_clinic_id_email_index"),
    )
    op.create_index("ix_patients_deleted_at", "patients", ["deleted_at"])
    op.create_table(
        "patient_name_tokens",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("patient_id", UUID_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "token", "patient_id", name="pk_patient_name_tokens"),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name="fk_patient_name_tokens_clinic_id_patients",
        ),
    )
    op.create_index(
        "ix_patient_name_tokens_clinic_id_patient_id", "patient_name_tokens", ["clinic_id", "patient_id"]
    )
    protect_tenant_tables(*TABLES)


def downgrade() -> None:
    op.drop_table("patient_name_tokens")
    op.drop_table("patients")

"""The doctors tables, clinic-owned, under row-level security.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from adapters.sql.migrations.tenant_rows import protect_tenant_tables

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TYPE = GUID(binary=False)
JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")
TABLES = ("doctors", "doctor_time_off")


def upgrade() -> None:
    op.create_table(
        "doctors",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("specialty", sa.String(120), nullable=False),
        sa.Column("licence_number", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("bio", sa.String(2000), nullable=True),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("schedule", JSON_DOCUMENT, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.Column("updated_at", DateTimeUTC(), nullable=False),
        sa.Column("created_by", UUID_TYPE, nullable=True),
        sa.Column("updated_by", UUID_TYPE, nullable=True),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_doctors"),
    )
    op.create_table(
        "doctor_time_off",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("doctor_id", UUID_TYPE, nullable=False),
        sa.Column("starts_at", DateTimeUTC(), nullable=False),
        sa.Column("ends_at", DateTimeUTC(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.Column("created_by", UUID_TYPE, nullable=True),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_doctor_time_off"),
        sa.ForeignKeyConstraint(
            ["clinic_id", "doctor_id"],
            ["doctors.clinic_id", "doctors.id"],
            name="fk_doctor_time_off_clinic_id_doctors",
        ),
    )
    op.create_index(
        "ix_doctor_time_off_clinic_id_doctor_id_starts_at",
        "doctor_time_off",
        ["clinic_id", "doctor_id", "starts_at"],
    )
    protect_tenant_tables(*TABLES)


def downgrade() -> None:
    op.drop_table("doctor_time_off")
    op.drop_table("doctors")

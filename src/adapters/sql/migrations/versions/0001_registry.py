"""The clinic registry: clinics, their locations, users, memberships, and the audit trail.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here rather than imported from records.py: a migration describes the schema as it was.
UUID_TYPE = GUID(binary=False)  # uuid on PostgreSQL, CHAR(32) hex on SQLite
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "clinics",
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=True),
        sa.Column("contact_phone", sa.String(16), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.Column("updated_at", DateTimeUTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clinics"),
    )
    op.create_table(
        "clinic_locations",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_clinic_locations"),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name="fk_clinic_locations_clinic_id_clinics"),
    )
    op.create_table(
        "users",
        sa.Column("id", UUID_TYPE, nullable=False),
        # PHI and contact details are sealed (AES-256-GCM, see adapters.crypto); lookups and
        # uniqueness go through keyed blind indexes, never the clear text.
        sa.Column("name_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("email_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("email_index", sa.String(64), nullable=True),
        sa.Column("phone_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("phone_index", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("is_super_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email_index", name="uq_users_email_index"),
        sa.UniqueConstraint("phone_index", name="uq_users_phone_index"),
    )
    op.create_table(
        "clinic_memberships",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("user_id", UUID_TYPE, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("location_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "user_id", name="pk_clinic_memberships"),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name="fk_clinic_memberships_clinic_id_clinics"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_clinic_memberships_user_id_users"),
    )
    op.create_index("ix_clinic_memberships_user_id", "clinic_memberships", ["user_id"])
    op.create_table(
        "audit_entries",
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("occurred_at", DateTimeUTC(), nullable=False),
        sa.Column("actor_id", UUID_TYPE, nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(200), nullable=False),
        sa.Column("clinic_id", UUID_TYPE, nullable=True),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_occurred_at", "audit_entries", ["occurred_at", "id"])
    op.create_index("ix_audit_entries_clinic_id_occurred_at", "audit_entries", ["clinic_id", "occurred_at"])


def downgrade() -> None:
    op.drop_table("audit_entries")
    op.drop_table("clinic_memberships")
    op.drop_table("users")
    op.drop_table("clinic_locations")
    op.drop_table("clinics")

"""The appointments table, clinic-owned, under row-level security; on PostgreSQL no two active
appointments of one doctor, or of one patient, can overlap (exclusion constraints over btree_gist).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27

The constraints count HELD, BOOKED and CHECKED_IN rows: a constraint cannot see now(), so a hold
past its expiry still counts until a write retires it (status EXPIRED); the repository does that
for the rows in its way, in the same transaction, before it inserts or moves an appointment.
btree_gist lets a gist index hold the uuid equality next to the range overlap; it is a trusted
extension (PostgreSQL 13+), so the owner role that migrates may create it. It goes into
``public``, whatever the search path, so that one database's schemas share it; a concurrent
creation by another migration is taken as success. SQLite: the repository's check runs under
the single writer's lock instead (adapters.sql.appointments).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

from adapters.sql.migrations.tenant_rows import protect_tenant_tables

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TYPE = GUID(binary=False)
BLOCKING = "status IN ('HELD', 'BOOKED', 'CHECKED_IN')"
BTREE_GIST = """
DO $$ BEGIN
  CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
END $$
"""
EXCLUSIONS = {
    "ex_appointments_doctor_overlap": "doctor_id",
    "ex_appointments_patient_overlap": "patient_id",
}


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("location_id", UUID_TYPE, nullable=False),
        sa.Column("doctor_id", UUID_TYPE, nullable=False),
        sa.Column("patient_id", UUID_TYPE, nullable=False),
        sa.Column("starts_at", DateTimeUTC(), nullable=False),
        sa.Column("ends_at", DateTimeUTC(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("hold_expires_at", DateTimeUTC(), nullable=True),
        sa.Column("cancelled_reason_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("cancelled_by", UUID_TYPE, nullable=True),
        sa.Column("cancelled_at", DateTimeUTC(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.Column("created_by", UUID_TYPE, nullable=False),
        sa.Column("updated_at", DateTimeUTC(), nullable=False),
        sa.Column("updated_by", UUID_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_appointments"),
    )
    # Lists run in (starts_at, id) order, filtered by nothing, a doctor, a patient or a location.
    op.create_index(
        "ix_appointments_clinic_id_starts_at_id", "appointments", ["clinic_id", "starts_at", "id"]
    )
    for column in ("doctor_id", "patient_id", "location_id"):
        op.create_index(
            f"ix_appointments_clinic_id_{column}_starts_at_id",
            "appointments",
            ["clinic_id", column, "starts_at", "id"],
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(BTREE_GIST)
    for name, column in EXCLUSIONS.items():
        op.execute(
            f"ALTER TABLE appointments ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"(clinic_id WITH =, {column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            f"WHERE ({BLOCKING})"
        )
    protect_tenant_tables("appointments")


def downgrade() -> None:
    # btree_gist stays: other schemas of the database may use it.
    op.drop_table("appointments")

"""Merge the audit, outbox and identity branches into one line; add the domain-event outbox.

``domain_events`` is clinic-owned and under row-level security like every tenant table.

Revision ID: 0008
Revises: 0003, 0004, 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from adapters.sql.migrations.tenant_rows import protect_tenant_tables

revision: str = "0008"
down_revision: str | Sequence[str] | None = ("0003", "0004", "0007")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TYPE = GUID(binary=False)
JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "domain_events",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject_id", UUID_TYPE, nullable=False),
        sa.Column("occurred_at", DateTimeUTC(), nullable=False),
        sa.Column("data", JSON_DOCUMENT, nullable=False),
        sa.Column("published_at", DateTimeUTC(), nullable=True),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_domain_events"),
    )
    op.create_index(
        "ix_domain_events_published_at_occurred_at", "domain_events", ["published_at", "occurred_at"]
    )
    protect_tenant_tables("domain_events")


def downgrade() -> None:
    op.drop_table("domain_events")

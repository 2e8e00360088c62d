"""Pending one-time codes and identity locks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "otp_challenges",
        sa.Column("identity_hash", sa.String(64), nullable=False),
        sa.Column("id", GUID(binary=False), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", DateTimeUTC(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", DateTimeUTC(), nullable=True),
        sa.PrimaryKeyConstraint("identity_hash", name="pk_otp_challenges"),
    )
    op.create_table(
        "otp_locks",
        sa.Column("identity_hash", sa.String(64), nullable=False),
        sa.Column("locked_until", DateTimeUTC(), nullable=False),
        sa.PrimaryKeyConstraint("identity_hash", name="pk_otp_locks"),
    )


def downgrade() -> None:
    op.drop_table("otp_locks")
    op.drop_table("otp_challenges")

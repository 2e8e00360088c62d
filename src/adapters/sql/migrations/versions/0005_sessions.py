"""Sign-in sessions and rotating refresh tokens (stored hashed).

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TYPE = GUID(binary=False)


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("user_id", UUID_TYPE, nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.Column("last_refreshed_at", DateTimeUTC(), nullable=False),
        sa.Column("expires_at", DateTimeUTC(), nullable=False),
        sa.Column("revoked_at", DateTimeUTC(), nullable=True),
        sa.Column("revoked_reason", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_auth_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("session_id", UUID_TYPE, nullable=False),
        sa.Column("issued_at", DateTimeUTC(), nullable=False),
        sa.Column("used_at", DateTimeUTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"], ["auth_sessions.id"], name="fk_refresh_tokens_session_id_auth_sessions"
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"])


def downgrade() -> None:
    op.drop_table("refresh_tokens")
    op.drop_table("auth_sessions")

"""Row-level security, the application role, and encrypted contact fields with blind indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Filled in by the tenancy work (RLS policies, roles, encrypted phone/email); empty for now.
    pass


def downgrade() -> None:
    pass

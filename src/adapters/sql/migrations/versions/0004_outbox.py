"""The transactional outbox: outbound messages and their delivery state.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-28

Rows of a clinic carry its id; messages without a clinic (sign-in codes) carry the nil UUID, so
``clinic_id`` is never NULL and leads the keys, like every tenant table. On PostgreSQL, row-level
security: rows are read, changed and written within the caller's clinics (the relay and the
webhooks act as the system, ``*``), and anyone may add a message without a clinic (a sign-in
code is requested before anyone is known).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TYPE = GUID(binary=False)
PLATFORM = "00000000-0000-0000-0000-000000000000"


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("clinic_id", UUID_TYPE, nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("recipient_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("parameters_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", DateTimeUTC(), nullable=False),
        sa.Column("next_attempt_at", DateTimeUTC(), nullable=False),
        sa.Column("expires_at", DateTimeUTC(), nullable=True),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_until", DateTimeUTC(), nullable=True),
        sa.Column("provider_message_id", sa.String(200), nullable=True),
        sa.Column("provider_recipient_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.Column("updated_at", DateTimeUTC(), nullable=False),
        sa.Column("sent_at", DateTimeUTC(), nullable=True),
        sa.PrimaryKeyConstraint("clinic_id", "id", name="pk_outbox_messages"),
        sa.UniqueConstraint(
            "clinic_id", "idempotency_key", name="uq_outbox_messages_clinic_id_idempotency_key"
        ),
    )
    op.create_index(
        "ix_outbox_messages_status_next_attempt_at", "outbox_messages", ["status", "next_attempt_at"]
    )
    op.create_index("ix_outbox_messages_provider_message_id", "outbox_messages", ["provider_message_id"])
    op.create_index("ix_outbox_messages_id", "outbox_messages", ["id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    visible = "app_clinic_visible(clinic_id)"
    op.execute("ALTER TABLE outbox_messages ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE outbox_messages FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_rows ON outbox_messages USING ({visible}) WITH CHECK ({visible})")
    op.execute(
        f"CREATE POLICY platform_messages ON outbox_messages FOR INSERT WITH CHECK (clinic_id = '{PLATFORM}')"
    )


def downgrade() -> None:
    op.drop_table("outbox_messages")

"""The tamper-evident audit trail: chained entries, chain heads, checkpoints, append-only triggers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Entries written before this revision have no hashes and cannot be sealed here (the audit key never
reaches the database), so the old table is kept, renamed, as ``audit_entries_legacy``, and the
chains start empty. Triggers make the entries append-only: UPDATE is refused; DELETE (and
TRUNCATE) too, except for entries of a chain at or below the sequence it was pruned to, when a
stored checkpoint covers that point (``healthcare audit prune``). Checkpoints and legacy entries
are never changed or deleted. On PostgreSQL the entries get their own row-level security: anyone
may append to any chain (a refusal in clinic B is audited in B's chain, whoever tried), reading and
pruning stay within the caller's clinics.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_TYPE = GUID(binary=False)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
GENESIS = "0" * 64

# The deletion a prune makes: the row lies at or below its chain's base, and a checkpoint holds it.
PRUNED = """
SELECT 1 FROM audit_chain_heads h
JOIN audit_checkpoints c ON c.chain = h.chain AND c.sequence = h.pruned_through AND c.hash = h.pruned_hash
WHERE h.chain = OLD.chain AND OLD.sequence <= h.pruned_through
"""

POSTGRES_GUARD = f"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Nested: plpgsql would resolve OLD.chain on other tables too, where it does not exist.
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_entries' THEN
    IF EXISTS ({PRUNED}) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$
"""
POSTGRES_TRIGGERS = (
    "CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
    "BEGIN SELECT RAISE(ABORT, '{t} is append-only: UPDATE refused'); END",
    "CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} {when}"
    "BEGIN SELECT RAISE(ABORT, '{t} is append-only: DELETE refused'); END",
)
GUARDED = ("audit_entries", "audit_checkpoints", "audit_entries_legacy")
POLICIES = (
    "CREATE POLICY audit_read ON audit_entries FOR SELECT USING (app_clinic_visible(clinic_id))",
    "CREATE POLICY audit_append ON audit_entries FOR INSERT WITH CHECK (true)",
    "CREATE POLICY audit_prune ON audit_entries FOR DELETE USING (app_clinic_visible(clinic_id))",
)


def upgrade() -> None:
    _keep_legacy_entries()
    op.create_table(
        "audit_entries",
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("id", UUID_TYPE, nullable=False),
        sa.Column("occurred_at", DateTimeUTC(), nullable=False),
        sa.Column("actor_id", UUID_TYPE, nullable=True),
        sa.Column("actor_role", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(200), nullable=False),
        sa.Column("clinic_id", UUID_TYPE, nullable=True),
        sa.Column("patient_id", UUID_TYPE, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("changed_fields", JSON_DOCUMENT, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("chain", "sequence", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_clinic_id_id", "audit_entries", ["clinic_id", "id"])
    op.create_index(
        "ix_audit_entries_clinic_id_resource_type_resource_id",
        "audit_entries",
        ["clinic_id", "resource_type", "resource_id"],
    )
    op.create_index("ix_audit_entries_clinic_id_actor_id", "audit_entries", ["clinic_id", "actor_id"])
    op.create_index("ix_audit_entries_clinic_id_occurred_at", "audit_entries", ["clinic_id", "occurred_at"])
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("pruned_through", sa.BigInteger(), nullable=False),
        sa.Column("pruned_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name="pk_audit_chain_heads"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", DateTimeUTC(), nullable=False),
        sa.PrimaryKeyConstraint("chain", "sequence", name="pk_audit_checkpoints"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_guards()
    else:
        for table in GUARDED:
            when = f"WHEN NOT EXISTS ({PRUNED}) " if table == "audit_entries" else ""
            for trigger in SQLITE_TRIGGERS:
                op.execute(trigger.format(t=table, when=when))


def _keep_legacy_entries() -> None:
    op.drop_index("ix_audit_entries_occurred_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_clinic_id_occurred_at", table_name="audit_entries")
    op.rename_table("audit_entries", "audit_entries_legacy")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE audit_entries_legacy RENAME CONSTRAINT pk_audit_entries TO pk_audit_entries_legacy"
        )
    op.create_index(
        "ix_audit_entries_legacy_clinic_id_occurred_at", "audit_entries_legacy", ["clinic_id", "occurred_at"]
    )


def _postgres_guards() -> None:
    op.execute(POSTGRES_GUARD)
    for table in GUARDED:
        for trigger in POSTGRES_TRIGGERS:
            op.execute(trigger.format(t=table))
    op.execute("ALTER TABLE audit_entries ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_entries FORCE ROW LEVEL SECURITY")
    for policy in POLICIES:
        op.execute(policy)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in GUARDED:
        for name in ("append_only", "no_truncate") if postgres else ("no_update", "no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain_heads")
    op.drop_table("audit_entries")
    op.drop_index("ix_audit_entries_legacy_clinic_id_occurred_at", table_name="audit_entries_legacy")
    if postgres:
        op.execute(
            "ALTER TABLE audit_entries_legacy RENAME CONSTRAINT pk_audit_entries_legacy TO pk_audit_entries"
        )
    op.rename_table("audit_entries_legacy", "audit_entries")
    op.create_index("ix_audit_entries_occurred_at", "audit_entries", ["occurred_at", "id"])
    op.create_index("ix_audit_entries_clinic_id_occurred_at", "audit_entries", ["clinic_id", "occurred_at"])

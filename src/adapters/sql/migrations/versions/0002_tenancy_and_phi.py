"""Row-level security (PostgreSQL): the restricted application role and the clinic policies;
provenance columns (who created and changed each row) everywhere.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

The role's name comes from the caller (``adapters.sql.migrate.migrate(app_role=...)``, from the
DATABASE_APP_ROLE setting). It owns nothing, so the policies bind it; FORCE makes them bind the
tables' owner too. ``app.clinic_scope`` is ``*`` (every clinic), a comma-separated list of clinic
ids, or empty (none); ``app.user_id`` lets a caller read their own memberships before their
clinics are known. SQLite has no row-level security: this revision does nothing there.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID
from alembic import op

UUID_TYPE = GUID(binary=False)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VISIBLE = """
CREATE OR REPLACE FUNCTION app_clinic_visible(clinic uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('app.clinic_scope', true), '') = '*'
      OR clinic::text = ANY (string_to_array(coalesce(current_setting('app.clinic_scope', true), ''), ','))
$$
"""

# table -> the expression naming the clinic a row belongs to (NULL clinic: platform rows).
POLICIES = {
    "clinics": "app_clinic_visible(id)",
    "clinic_locations": "app_clinic_visible(clinic_id)",
    "clinic_memberships": "app_clinic_visible(clinic_id)",
    "audit_entries": "app_clinic_visible(clinic_id)",  # platform rows (NULL clinic): only with *
}
OWN_MEMBERSHIPS = "user_id::text = coalesce(current_setting('app.user_id', true), '')"


# Who made and who last changed each row (None: the system itself); the audit trail has the rest.
PROVENANCE = {
    "clinics": ("created_by", "updated_by"),
    "clinic_locations": ("created_by",),
    "users": ("created_by",),
    "clinic_memberships": ("created_by",),
}


def upgrade() -> None:
    for table, columns in PROVENANCE.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.add_column(sa.Column(column, UUID_TYPE, nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return
    role = op.get_context().config.attributes.get("app_role")
    if role:
        op.execute(
            f'DO $$ BEGIN CREATE ROLE "{role}" NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$'
        )
    op.execute(VISIBLE)
    for table, visible in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_rows ON {table} USING ({visible}) WITH CHECK ({visible})")
    op.execute(f"CREATE POLICY own_memberships ON clinic_memberships FOR SELECT USING ({OWN_MEMBERSHIPS})")


def downgrade() -> None:
    for table, columns in PROVENANCE.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS own_memberships ON clinic_memberships")
    for table in POLICIES:
        op.execute(f"DROP POLICY IF EXISTS tenant_rows ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS app_clinic_visible(uuid)")

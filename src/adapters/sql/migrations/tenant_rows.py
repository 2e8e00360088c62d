"""Row-level security for a clinic-owned table, as every migration of one sets it up.

PostgreSQL only (SQLite has none): enabled and forced (the owner is bound too), with the
``tenant_rows`` policy that shows and accepts only the rows of the clinics in the transaction's
scope (``app_clinic_visible``, revision 0002).
"""

from __future__ import annotations

from alembic import op


def protect_tenant_tables(*tables: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    visible = "app_clinic_visible(clinic_id)"
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_rows ON {table} USING ({visible}) WITH CHECK ({visible})")

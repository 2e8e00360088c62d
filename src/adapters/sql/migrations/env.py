"""Alembic environment: migrates the connection handed over by adapters.sql.migrate (online only)."""

from __future__ import annotations

from alembic import context

from adapters.sql.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations through adapters.sql.migrate.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

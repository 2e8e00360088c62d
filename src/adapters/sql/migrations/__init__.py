"""Alembic migrations of the SQL schema; run them with adapters.sql.migrate.migrate(engine)."""

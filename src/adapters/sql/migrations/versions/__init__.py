"""One module per revision, written by hand; they must work on SQLite and PostgreSQL."""

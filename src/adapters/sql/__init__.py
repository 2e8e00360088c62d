"""Persistence over SQLAlchemy: PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

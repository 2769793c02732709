"""Persistence: SQLAlchemy models, repositories and Alembic migrations (SQLite default, PostgreSQL)."""

from temoin.store.db import downgrade, make_engine, migrate, read_scope, session_scope

__all__ = ["downgrade", "make_engine", "migrate", "read_scope", "session_scope"]

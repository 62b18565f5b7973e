"""Persistence: SQLAlchemy models, engine and sessions, Alembic migrations, and every SQL query (db/queries)."""

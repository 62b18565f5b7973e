"""Runs Alembic in-process against the app's engine, so ``storegraph migrate`` and the tests share one path.

On SQLite, a migration that alters a table the way SQLite cannot (Alembic's batch mode) copies it into a new table
and drops the old one; with foreign keys on, that drop deletes every row that refers to the old table with ``ON
DELETE CASCADE``. Migrations therefore run with SQLite's foreign keys off (the pragma only takes effect outside a
transaction, so it is set before the migration's transaction begins and set back after it ends), and every
reference is checked before the migration commits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade_to_head(engine: AsyncEngine) -> None:
    await migrate_to(engine, "head")


async def migrate_to(engine: AsyncEngine, revision: str, *, down: bool = False) -> None:
    """Upgrades (or, ``down``, downgrades) the database to ``revision`` in one transaction."""
    step: Callable[[Config, str], None] = command.downgrade if down else command.upgrade
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        if sqlite:
            await _sqlite_foreign_keys(connection, on=False)
        try:
            async with connection.begin():
                await connection.run_sync(lambda sync_connection: step(alembic_config(sync_connection), revision))
                if sqlite:
                    await connection.run_sync(_check_references)
        finally:
            if sqlite:
                await _sqlite_foreign_keys(connection, on=True)


async def _sqlite_foreign_keys(connection: AsyncConnection, *, on: bool) -> None:
    pragma = f"PRAGMA foreign_keys={'ON' if on else 'OFF'}"
    await connection.run_sync(sqlite_pragma, pragma)


def sqlite_pragma(connection: Connection, pragma: str) -> None:
    """Runs ``pragma`` on the driver's connection: through SQLAlchemy it would begin a transaction first, inside
    which SQLite ignores the pragmas that switch a connection's behaviour."""
    driver_connection = connection.connection.dbapi_connection
    if driver_connection is None:
        raise RuntimeError("the connection is closed")
    driver_connection.cursor().execute(pragma)


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({f"{row[0]} -> {row[2]}" for row in broken})
        raise RuntimeError(f"the migration leaves rows that refer to missing rows: {', '.join(tables)}")


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision())


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()

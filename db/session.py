"""Engine and session factory. One engine per app object; sessions are opened per request by the caller."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# Execution option that marks a connection's transaction as one that will write (see _begin_sqlite).
WRITE_TRANSACTION = "storegraph_write_transaction"


def create_engine(database_url: str, *, pool_size: int = 40, echo: bool = False) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_sqlite)
        return engine
    # One pooled connection per concurrent request: a small pool queues requests and ruins tail latency.
    return create_async_engine(
        database_url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False
    )


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN breaks SAVEPOINTs; _begin_sqlite emits BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    """A transaction that will write takes SQLite's write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails at once with "database is locked" when another
    writer got there first, instead of waiting for the busy timeout; taking the lock first makes writers queue.
    """
    if connection.get_execution_options().get(WRITE_TRANSACTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def begin_write(session: AsyncSession) -> None:
    """Starts ``session``'s transaction as a writing one; call before its first statement."""
    await session.connection(execution_options={WRITE_TRANSACTION: True})

"""Engine and session factory. One engine per app object; sessions are opened per request by the caller."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from db.queries.executor import hold_connection
from db.queries.store_versions import VersionedSession, track_writes

# Execution option that marks a connection's transaction as one that will write (see _begin_sqlite).
WRITE_TRANSACTION = "storegraph_write_transaction"
# Execution option for a connection that runs one read statement only: SQLite then emits no BEGIN (see
# single_statement_reads).
SINGLE_STATEMENT = "storegraph_single_statement"


def create_engine(database_url: str, *, pool_size: int = 40, echo: bool = False) -> AsyncEngine:
    # hide_parameters: bound values are customers' phones and emails, and a failing statement's exception (logged
    # with its stack) or the echo log would otherwise carry them. Phones and emails never appear in logs.
    if database_url.startswith("sqlite"):
        # aiosqlite logs every call it makes, with its bound values, at DEBUG: a debug log level would put them in
        # the log after all (webhook URLs with their credentials, signing secrets, phones).
        logging.getLogger("aiosqlite").setLevel(logging.INFO)
        engine = create_async_engine(
            database_url, echo=echo, hide_parameters=True, json_deserializer=read_json, connect_args={"timeout": 30}
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_sqlite)
    else:
        # One pooled connection per concurrent request: a small pool queues requests and ruins tail latency.
        engine = create_async_engine(
            database_url,
            echo=echo,
            hide_parameters=True,
            json_deserializer=read_json,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
        )
    track_writes(engine)  # every session's commit raises the version of the store it wrote (conditional GETs)
    return engine


# Sixteen digits in a row: a number that may not fit 64 bits (or a long string of digits, read the slow way too).
_LONG_DIGITS = re.compile(r"\d{16}")


def read_json(text: str) -> Any:
    """A JSON column's value as the standard library reads it, at orjson's speed (a list of customers reads one
    document per row). orjson reads an integer beyond 64 bits as a float, and refuses what the standard library
    takes (a lone surrogate escape, nesting past its limit): those documents go to the standard library."""
    if text == "{}":
        return {}
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    configure_sqlite_connection(dbapi_connection)


def configure_sqlite_connection(dbapi_connection: Any) -> None:
    """How every SQLite connection of the process is opened (the engine's, and db/sqlite_writer.py's).

    WAL lets readers run beside the one writer. ``synchronous=NORMAL`` in WAL mode syncs the log at checkpoints,
    not at every commit: a committed transaction survives the process crashing or being killed (it is in the log,
    which the operating system holds), and the database is never corrupted, but a power loss or an operating
    system crash may lose the transactions committed since the last checkpoint. docs/deployment.md says so, and
    how to choose ``FULL`` instead."""
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
    options = connection.get_execution_options()
    if options.get(SINGLE_STATEMENT):
        return  # a lone statement is its own transaction in SQLite
    if options.get(WRITE_TRANSACTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, sync_session_class=VersionedSession)


async def begin_write(session: AsyncSession) -> None:
    """Starts ``session``'s transaction as a writing one; call before its first statement."""
    bind = session.sync_session.bind
    if bind is not None and bind.dialect.name != "sqlite":
        # The option is for _begin_sqlite only: setting it on a connection runs SQLAlchemy's options machinery
        # (a new options mapping, its event) on every write, for nothing elsewhere.
        hold_connection(session, await session.connection())
        return
    hold_connection(session, await session.connection(execution_options={WRITE_TRANSACTION: True}))


async def close_session(session: AsyncSession) -> None:
    """``session.close()``, skipped when it has nothing to close: no transaction (a commit or rollback ended it and
    gave its connection back to the pool) and no object. Closing then only empties empty collections, after a
    pass through SQLAlchemy's asyncio layer that costs a good part of a small write's own work. A session that
    was closed, or not, behaves the same from there on: the next use would begin a new transaction either way."""
    sync = session.sync_session
    if sync.in_transaction() or sync.identity_map or sync.new or sync.deleted:
        await session.close()


def single_statements(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for statements that are each a transaction of their own, outside any request's transaction: one
    atomic upsert or delete (the idempotency records) needs no BEGIN and COMMIT around it. See
    ``single_statement_reads`` for how each dialect does it; a write that must see its own earlier statements, or
    be undone with them, needs ``write_transaction`` instead."""
    return single_statement_reads(engine)


def single_statement_reads(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` as used for a lone SELECT outside any request transaction (the API-key lookup).

    On PostgreSQL it runs in autocommit: a single SELECT needs no BEGIN and COMMIT, so it costs one round trip
    instead of three. On SQLite _begin_sqlite skips its BEGIN (one trip less to aiosqlite's thread); the
    driver-level AUTOCOMMIT is not used there because resetting it on checkin would undo _configure_sqlite.
    Either way the statement is still atomic: it is a transaction of its own. Only for a single statement.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SINGLE_STATEMENT: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A short Core transaction of its own that will write (SQLite: BEGIN IMMEDIATE), committed on exit."""
    async with engine.connect() as connection:
        await connection.execution_options(**{WRITE_TRANSACTION: True})
        async with connection.begin():
            yield connection


async def ping(engine: AsyncEngine) -> None:
    """One trivial statement: raises if the database cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))

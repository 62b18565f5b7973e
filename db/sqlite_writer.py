"""One SQLite connection that writes, on one thread of its own: a whole write transaction in one hop.

Through the async engine every statement of a transaction is a round trip to aiosqlite's thread and back to the
event loop (BEGIN IMMEDIATE, the INSERT, COMMIT, the pool's reset), and each return waits its turn behind
whatever the loop is busy with: under load a three-statement write takes several loop turns. A ``SqliteWriter``
runs the transaction's Python function on its own thread instead, from BEGIN IMMEDIATE to COMMIT, and the loop
awaits it once. Its transactions are serialised (one thread, one connection); readers and the engine's own
writers carry on beside it, SQLite's write lock and busy timeout ordering the writers as for any connection.

The connection is opened like the engine's (db/session.py: WAL, ``synchronous=NORMAL``, the busy timeout,
foreign keys), so what it commits is exactly as durable as what the engine commits.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db.session import configure_sqlite_connection

T = TypeVar("T")


class SqliteWriter:
    def __init__(self, path: str) -> None:
        self._path = path
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> SqliteWriter | None:
        """A writer on ``engine``'s database file; ``None`` for another database, or an in-memory one (which a
        second connection would not share)."""
        if engine.dialect.name != "sqlite":
            return None
        database = make_url(str(engine.url)).database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(database)

    async def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK if it raises), on the writer's thread."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, work)

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(connection)
            connection.execute("COMMIT")
        except BaseException:
            self._end_failed(connection)
            raise
        return result

    def _end_failed(self, connection: sqlite3.Connection) -> None:
        """Ends what a failed transaction left open: an idle writer must never hold SQLite's write lock, or every
        other writer of the file waits out its busy timeout and fails. A COMMIT that fails (a deferred constraint,
        an I/O error) leaves the transaction open; an error SQLite rolled back itself leaves none to roll back. If
        even the ROLLBACK fails, closing the connection rolls back, and the next transaction opens another."""
        if not connection.in_transaction:
            return
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            self._connection = None
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # Only ever used on the executor's one thread; the check would refuse the close from another.
            connection = sqlite3.connect(self._path, check_same_thread=False)
            configure_sqlite_connection(connection)
            self._connection = connection
        return self._connection

    async def close(self) -> None:
        """Closes the connection and stops the thread; a later transaction opens them again."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        await asyncio.get_running_loop().run_in_executor(executor, self._close)
        executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

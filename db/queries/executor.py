from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, Protocol

import asyncpg
from sqlalchemy import Connection, CursorResult, Executable, Result
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, PendingRollbackError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_, greenlet_spawn

from db.direct_reads import WRITES_ONLY, DirectConnection, PreparedRead
from db.direct_writes import PreparedWrite
from db.queries.write_marks import note_write


class Executor(Protocol):
    """Anything that runs a statement: an ``AsyncSession`` or the per-request database of the GraphQL context."""

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None, /) -> Result[Any]: ...


class DriverTransaction:
    """A request's write transaction on one connection ``DirectReads`` keeps (PostgreSQL's asyncpg), begun and ended
    on the driver, without SQLAlchemy's session: for a mutation whose work is statements built once, the session's
    own work around them (made, begun on a connection checked out of the pool, committed, the connection checked
    back in) costs a small write several times its statement.

    Statements built once run on the driver (``core_write``, ``core_rows``); any other Core statement runs through
    SQLAlchemy on the same connection (``execute``), in this transaction: ``engine`` runs in autocommit, so that
    SQLAlchemy begins none of its own there. Only where the database raises the store's data version itself (a
    trigger, at COMMIT: see db/queries/store_versions.py); an error of a statement is SQLAlchemy's, as its
    execution raises it (a unique violation an ``IntegrityError``)."""

    def __init__(self, connection: DirectConnection, engine: AsyncEngine) -> None:
        self._connection = connection
        self._engine = engine

    @property
    def dialect(self) -> Dialect:
        return self._connection.dialect

    async def begin(self) -> None:
        await self._control("BEGIN")

    async def commit(self) -> None:
        """Commits, or raises if the server rolled the transaction back instead (a statement of it failed, and
        whoever caught that error did not end the transaction): nothing the caller wrote was kept."""
        if await self._control("COMMIT") != "COMMIT":
            raise PendingRollbackError("a statement of the transaction failed: its COMMIT rolled it back")

    async def rollback(self) -> None:
        await self._control("ROLLBACK")

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None, /) -> CursorResult[Any]:
        connection = await self._connection.sqlalchemy(self._engine)
        return await connection.execute(statement, parameters)

    async def rows(self, prepared: PreparedRead, parameters: Mapping[str, Any]) -> Sequence[Any]:
        compiled = prepared.compiled_for(self.dialect)
        return compiled.rows(await self._fetch(compiled.sql, compiled.arguments(parameters)))

    async def write(self, prepared: PreparedWrite, parameters: Mapping[str, Any]) -> Sequence[Any]:
        compiled = prepared.compiled_for(self.dialect, parameters)
        if compiled is None:  # a column's default reads SQLAlchemy's execution context
            result = await self.execute(prepared.statement, parameters)
            return result.all() if result.returns_rows else ()
        return compiled.rows(await self._fetch(compiled.sql, compiled.arguments(parameters)))

    async def _fetch(self, sql: str, arguments: list[Any]) -> list[Any]:
        try:
            return await self._connection.fetch(sql, arguments)
        except DRIVER_ERRORS as error:
            raise self._as_sqlalchemy(error, sql, arguments) from error

    async def _control(self, sql: str) -> str:
        try:
            return await self._connection.control(sql)
        except DRIVER_ERRORS as error:
            raise self._as_sqlalchemy(error, sql, []) from error

    def _as_sqlalchemy(self, error: Exception, sql: str, arguments: list[Any]) -> StatementError:
        """``error`` as SQLAlchemy's execution raises it: a unique violation an ``IntegrityError``, a lost
        connection an ``InterfaceError`` or ``OperationalError``."""
        dialect = self.dialect
        return DBAPIError.instance(
            sql,
            tuple(arguments),
            self._connection.translate(error),
            dialect.loaded_dbapi.Error,
            hide_parameters=True,  # as the engine's: customers' phones and emails never reach a log
            dialect=dialect,
        )


# The driver's errors, which a ``DriverTransaction`` raises as SQLAlchemy's (the server's refusals, a lost or
# unusable connection).
DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)


# The transaction a mutation's work runs in: the request's session, or a transaction on the driver.
WriteTransaction = AsyncSession | DriverTransaction


def dialect_of(transaction: WriteTransaction) -> Dialect:
    if isinstance(transaction, DriverTransaction):
        return transaction.dialect
    return transaction.get_bind().dialect


async def fetch_rows(db: Executor, prepared: PreparedRead, parameters: Mapping[str, Any]) -> Sequence[Any]:
    """The rows of a statement built once, by the executor's own way for those when it has one (the request's
    database runs them on the driver for a query on PostgreSQL)."""
    rows = getattr(db, "rows", None)
    if rows is not None:
        result: Sequence[Any] = await rows(prepared, parameters)
        return result
    return (await db.execute(prepared.statement, parameters)).all()


async def run_core(session: AsyncSession, statement: Executable, parameters: Any = None) -> Result[Any]:
    """Runs a Core statement (columns, never entities) on the session's connection, in its transaction.

    ``session.execute`` would take it through the ORM's per-statement work (for a DML statement on a mapped
    class its bulk insert or update, with the synchronisation of loaded objects): several times what the
    statement costs on the connection. Only for statements whose result and effects concern no entity the session
    holds. ``parameters`` may be a list of dicts (one execution per dict)."""
    connection, _ = await _connection_of(session)
    return await connection.execute(statement, parameters)


async def core_rows(session: WriteTransaction, prepared: PreparedRead, parameters: Mapping[str, Any]) -> Sequence[Any]:
    """The rows of a SELECT built once, in the session's transaction (its locks held by it, as ``run_core``'s).

    On PostgreSQL it runs on asyncpg itself, on the transaction's connection, as db/direct_reads.py runs a query's
    reads in autocommit: SQLAlchemy's execution around a statement costs several times the driver's own work. Its
    rows are named tuples, read by position and by attribute like SQLAlchemy's. Elsewhere, and while something
    listens to the engine's statements (a test counting them, tracing), SQLAlchemy runs it, as ``run_core``. Only
    for reads: a write's statement is seen by the engine's listeners that watch writes (``writes_only``)."""
    if isinstance(session, DriverTransaction):
        return await session.rows(prepared, parameters)
    connection, adapted = await _connection_of(session)
    sync = connection.sync_connection
    if sync is None or adapted is None or not _usable(sync):
        return (await connection.execute(prepared.statement, parameters)).all()
    compiled = prepared.compiled_for(sync.dialect)
    records = await _driver_fetch(adapted, compiled.sql, compiled.arguments(parameters))
    return compiled.rows(records)


async def core_write(
    session: WriteTransaction, prepared: PreparedWrite, parameters: Mapping[str, Any]
) -> Sequence[Any]:
    """Runs an INSERT, UPDATE or DELETE built once in the session's transaction, as ``run_core`` would; answers the
    rows of its RETURNING (none without one).

    On PostgreSQL it runs on asyncpg itself, as ``core_rows`` runs a read, and for the same reason. The engine's
    listener that notices writes of store data (db/queries/store_versions.py) does not see a statement run there,
    so this marks the transaction itself, by the same rule (``note_write``), and a savepoint rolled back takes the
    mark back as it takes back the listener's. An error is SQLAlchemy's, as its execution raises it (a unique
    violation an ``IntegrityError``; a dropped connection invalidated)."""
    if isinstance(session, DriverTransaction):
        return await session.write(prepared, parameters)
    connection, adapted = await _connection_of(session)
    sync = connection.sync_connection
    compiled = None
    if sync is not None and adapted is not None and _usable(sync):
        compiled = prepared.compiled_for(sync.dialect, parameters)
    if sync is None or compiled is None:
        result = await connection.execute(prepared.statement, parameters)
        return result.all() if result.returns_rows else ()
    arguments = compiled.arguments(parameters)
    try:
        records = await _driver_fetch(adapted, compiled.sql, arguments)
    except BaseException as error:
        await greenlet_spawn(_raise_as_sqlalchemy, sync, error, compiled.sql, arguments)
        raise  # not reached
    note_write(sync, prepared.statement)
    return compiled.rows(records)


def core_write_in_greenlet(session: Session, prepared: PreparedWrite, parameters: Mapping[str, Any]) -> None:
    """``core_write`` for synchronous code run by SQLAlchemy's asyncio layer (a session's event hook); the
    statement's rows are not kept."""
    connection, adapted = _sync_connection_of(session)
    compiled = None if adapted is None else prepared.compiled_for(connection.dialect, parameters)
    if adapted is None or compiled is None:
        connection.execute(prepared.statement, parameters)
        return
    arguments = compiled.arguments(parameters)
    try:
        await_(_driver_fetch(adapted, compiled.sql, arguments))
    except BaseException as error:
        _raise_as_sqlalchemy(connection, error, compiled.sql, arguments)
    note_write(connection, prepared.statement)


def _raise_as_sqlalchemy(connection: Connection, error: BaseException, sql: str, arguments: list[Any]) -> NoReturn:
    """Raises ``error`` of a statement run on the driver as SQLAlchemy's execution of it on ``connection`` would
    (wrapped in its exception classes, the connection invalidated if it is lost or the statement was cancelled), by
    its own handling."""
    try:
        raise error
    except BaseException:
        # That handling re-raises what is being handled (``sys.exc_info()``): a greenlet of its own (``core_write``)
        # handles nothing until the error is raised in it, and a cancellation would then end in its assertion.
        connection._handle_dbapi_exception(error, sql, tuple(arguments), None, None)


async def _driver_fetch(adapted: Any, sql: str, arguments: list[Any]) -> Sequence[Any]:
    """``sql``'s records on the asyncpg connection SQLAlchemy's adapter ``adapted`` wraps, in its transaction, begun
    as its own cursor begins it; an error as its cursor raises it (the adapter's DBAPI error)."""
    async with adapted._execute_mutex:
        if adapted._transaction is None:
            await adapted._start_transaction()
        try:
            records: Sequence[Any] = await adapted._connection.fetch(sql, *arguments)
        except Exception as error:
            adapted._handle_exception(error)
            raise  # not reached: the adapter raises its own error
    return records


def _asyncpg_of(connection: Connection) -> Any | None:
    """SQLAlchemy's asyncpg adapter of ``connection``, when a statement may run on the driver beside it."""
    if connection.dialect.driver != "asyncpg" or not _usable(connection):
        return None
    dispatch = connection.dispatch
    for listeners in (dispatch.before_cursor_execute, dispatch.after_cursor_execute):
        for listener in listeners:
            if not getattr(listener, WRITES_ONLY, False):
                return None  # it would not see the statement
    adapted = connection.connection.dbapi_connection
    if adapted is None or getattr(adapted, "isolation_level", None) == "autocommit":
        return None
    return adapted


def _usable(connection: Connection) -> bool:
    return not connection.invalidated and not connection.closed


async def _connection_of(session: AsyncSession) -> tuple[AsyncConnection, Any | None]:
    """The connection of ``session``'s transaction, and its asyncpg adapter if statements may run on the driver
    (``_asyncpg_of``, told when the connection was asked for: whether something listens to the engine's statements
    is settled between requests, and looking costs a good part of a statement run on the driver; whether the
    connection is still usable is for the caller to look at each time)."""
    transaction = _current_transaction(session)
    held = session.info.get(_HELD_CONNECTION)
    if held is not None and transaction is not None and held[0] is transaction and transaction.is_active:
        return held[1], held[2]
    # Asking the session costs a good part of a statement's own work; its connection stays the same for the whole
    # of its transaction, so it is asked once per transaction, and once more in each savepoint: the session emits
    # a savepoint's SAVEPOINT when its connection is first asked for inside it, and a statement that did not ask
    # would run outside the savepoint, not undone by its rollback.
    connection = await session.connection()
    hold_connection(session, connection)
    return connection, session.info[_HELD_CONNECTION][2]


def transaction_connection(session: Session) -> Connection:
    """The connection of ``session``'s transaction, for synchronous code run by SQLAlchemy's asyncio layer (a
    session's event hook): ``session.connection()``, without asking the session when ``_connection_of`` has."""
    return _sync_connection_of(session)[0]


def _sync_connection_of(session: Session) -> tuple[Connection, Any | None]:
    transaction = _current_transaction(session)
    held = session.info.get(_HELD_CONNECTION)
    if held is not None and transaction is not None and held[0] is transaction and transaction.is_active:
        sync: Connection | None = held[1].sync_connection
        if sync is not None:
            return sync, held[2] if _usable(sync) else None
    connection = session.connection()
    return connection, _asyncpg_of(connection)


def _current_transaction(session: AsyncSession | Session) -> SessionTransaction | None:
    """The innermost of ``session``'s transactions: its savepoint's, if one is open."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    return sync.get_nested_transaction() or sync.get_transaction()


def hold_connection(session: AsyncSession, connection: AsyncConnection) -> None:
    """Tells ``run_core`` the connection of ``session``'s transaction, for a caller that has just asked for it (the
    write's begin): its first statement then does not ask the session again."""
    sync = connection.sync_connection
    adapted = None if sync is None else _asyncpg_of(sync)
    session.info[_HELD_CONNECTION] = (_current_transaction(session), connection, adapted)


# ``session.info``: the session's innermost transaction when ``run_core`` last asked for its connection, that
# connection, and its asyncpg adapter if statements may run on the driver.
_HELD_CONNECTION = "storegraph_core_connection"

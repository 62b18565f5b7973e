"""Reads straight on the PostgreSQL driver, for the statements built once (``PreparedRead``).

SQLAlchemy's execution of a statement (a ``Connection`` with its events and options, the compiled cache's lookup
by the statement's cache key, the parameters processed, a ``Result`` and its rows) costs several times what the
driver itself does for a read by id. A statement built once needs none of that per call: it is compiled once to
the driver's SQL, with the order of its parameters, their bind processors, the result columns' processors and a
row class, and then runs with asyncpg's ``fetch`` on a connection of the engine's own pool (asyncpg prepares it
once per connection). Rows are named tuples, read
by position and by attribute like SQLAlchemy's rows.

Only for statements in autocommit (a query's reads on PostgreSQL, and single upserts that are a transaction of
their own, answered by their RETURNING): the connection is used outside any transaction, as the autocommit engine
would use it. A query's statements that are not built once run on the same pooled connection through SQLAlchemy
(``DirectConnection.sqlalchemy``), so a request's reads take one connection from the pool.
"""

from __future__ import annotations

import collections
import keyword
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import BindParameter, Connection, Engine, Insert, Label, Select, event
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.base import OptionEngine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import Pool, PoolProxiedConnection, QueuePool
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.util import get_callable_argspec, greenlet_spawn

Processor = Callable[[Any], Any] | None
# A positional parameter's key and name in the parameters, its bind parameter and its bind processor.
Source = tuple[str, str, BindParameter[Any], Processor]
Listener = TypeVar("Listener", bound=Callable[..., Any])


WRITES_ONLY = "storegraph_writes_only"


def writes_only(listener: Listener) -> Listener:
    """Marks an engine's statement listener that looks at writes only, so that reads may run on the driver
    without it (``DirectReads.observed``)."""
    setattr(listener, WRITES_ONLY, True)
    return listener


class PreparedRead:
    """A SELECT (or an INSERT answered by its RETURNING) built once and run many times with other parameters.

    ``statement`` is what SQLAlchemy runs (SQLite, a session's transaction); ``direct`` (by default the same) is
    what ``DirectReads`` compiles for the driver. They differ where SQLAlchemy's form is rebuilt per call: a list
    of ids is an expanding ``IN`` there (its SQL depends on the list's length) and one array parameter
    (``= ANY``) for the driver.
    """

    __slots__ = ("_compiled", "_trailed", "direct", "statement")

    def __init__(self, statement: Select[Any] | Insert, direct: Select[Any] | Insert | None = None) -> None:
        self.statement = statement
        self.direct = direct if direct is not None else statement
        self._compiled: CompiledRead | None = None
        self._trailed: tuple[Label[Any], PreparedRead | None] | None = None

    def trailed_by(self, column: Label[Any]) -> PreparedRead | None:
        """This SELECT answering ``column`` too, after its own columns, built once (for the same ``column`` each
        time: a statement keeps the last one it was asked for); ``None`` for a statement that is not a SELECT."""
        trailed = self._trailed
        if trailed is None or trailed[0] is not column:
            statement, direct = self.statement, self.direct
            built = (
                PreparedRead(statement.add_columns(column), direct.add_columns(column))
                if isinstance(statement, Select) and isinstance(direct, Select)
                else None
            )
            trailed = self._trailed = (column, built)
        return trailed[1]

    def compiled_for(self, dialect: Dialect) -> CompiledRead:
        compiled = self._compiled
        if compiled is None or compiled.dialect is not dialect:
            compiled = self._compiled = compile_read(self.direct, dialect)
        return compiled


@dataclass(frozen=True, slots=True)
class CompiledRead:
    dialect: Dialect
    sql: str
    construct_params: Callable[..., MutableMapping[str, Any]]
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    row: type[tuple[Any, ...]]
    # A write's columns that take their Python-side default (``default=``, ``onupdate=``) when the parameters do
    # not give them, as SQLAlchemy's execution fills them: each parameter's name and the default's function.
    defaults: tuple[tuple[str, Callable[[], Any]], ...] = ()
    # Where each positional parameter's value comes from, worked out once (``_sources``); None where only
    # SQLAlchemy's ``construct_params`` tells it (escaped names, parameters the statement collected).
    sources: tuple[Source, ...] | None = None

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        """The driver's positional arguments for ``parameters``: what ``constructed`` gives, without building the
        dictionary of every parameter first (that was most of the Python of a statement run on the driver)."""
        sources = self.sources
        if sources is None:
            return self.constructed(parameters)
        # The defaults first and in their order, as ``constructed`` calls them (two clocks read in the same order).
        filled = {name: default() for name, default in self.defaults} if self.defaults else None
        arguments = []
        for key, name, bound, bind in sources:
            if filled is not None and name in filled:
                value = filled[name]
            elif key in parameters:
                value = parameters[key]
            elif name in parameters:
                value = parameters[name]
            elif bound.required:
                return self.constructed(parameters)  # raises SQLAlchemy's own error for the missing value
            else:
                value = bound.effective_value if bound.callable else bound.value
            arguments.append(value if bind is None else bind(value))
        return arguments

    def constructed(self, parameters: Mapping[str, Any]) -> list[Any]:
        """The arguments as SQLAlchemy's ``construct_params`` builds the parameters."""
        values = self.construct_params(parameters)
        for name, default in self.defaults:
            values[name] = default()
        return [
            value if bind is None else bind(value)
            for bind, value in zip(self.binds, (values[name] for name in self.names), strict=True)
        ]

    def rows(self, records: Sequence[Sequence[Any]]) -> list[Any]:
        new, row = tuple.__new__, self.row
        if not any(self.results):
            return [new(row, record) for record in records]
        results = self.results
        return [
            new(
                row, [value if result is None else result(value) for result, value in zip(results, record, strict=True)]
            )
            for record in records
        ]


def compile_read(
    statement: Select[Any] | UpdateBase,
    dialect: Dialect,
    column_keys: Sequence[str] | None = None,
) -> CompiledRead:
    """``statement`` compiled for the driver; for a write, ``column_keys`` as SQLAlchemy's execution passes them
    (the names of the parameters it runs with: an INSERT's columns, those an UPDATE sets besides its ``values``)."""
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    if compiled.post_compile_params or compiled.literal_execute_params:
        raise ValueError("a statement with expanding parameters is compiled anew for each call")
    # As SQLAlchemy's execution fills them: an INSERT's defaults, else an UPDATE's.
    defaults: list[tuple[str, Callable[[], Any]]] = []
    if compiled.insert_prefetch:
        key_of = compiled._within_exec_param_key_getter
        defaults = [(key_of(column), _default_function(column.default)) for column in compiled.insert_prefetch]
    elif compiled.update_prefetch:
        key_of = compiled._within_exec_param_key_getter
        defaults = [(key_of(column), _default_function(column.onupdate)) for column in compiled.update_prefetch]
    names = tuple(compiled.positiontup or ())
    bind_processors = compiled._bind_processors
    columns = compiled._result_columns
    keys = [column.keyname for column in columns]
    if len(set(keys)) != len(keys) or not all(key.isidentifier() and not keyword.iskeyword(key) for key in keys):
        raise ValueError(f"result columns that cannot be attributes: {keys}")
    if any(key.startswith("_") for key in keys):
        raise ValueError(f"result columns that would hide a row's own attributes: {keys}")
    row = collections.namedtuple("DirectRow", keys)  # type: ignore[misc]
    # Rows of one statement share their class, as a SQLAlchemy result's rows share their ``_parent``.
    row._parent = row  # type: ignore[attr-defined]
    return CompiledRead(
        dialect=dialect,
        sql=compiled.string,
        construct_params=compiled.construct_params,
        names=names,
        binds=tuple(_bind_processor(bind_processors.get(name)) for name in names),
        results=tuple(column.type._cached_result_processor(dialect, None) for column in columns),
        row=row,
        defaults=tuple(defaults),
        sources=_sources(compiled, names, bind_processors, {name for name, _ in defaults}),
    )


def _sources(
    compiled: Any, names: Sequence[str], processors: Mapping[str, Any], defaulted: set[str]
) -> tuple[Source, ...] | None:
    """For each positional parameter: the key and the name ``construct_params`` looks it up by, the bind parameter
    whose own value it takes otherwise, and its bind processor. None where ``construct_params`` does more than
    that: escaped names, parameters collected from the statement, a parameter bound but not positional (whose
    missing value it would refuse), a name shared by two bind parameters, a default of no positional parameter."""
    if compiled.escaped_bind_names or getattr(compiled, "_collected_params", None):
        return None
    by_name = {name: bound for bound, name in compiled.bind_names.items()}
    if len(by_name) != len(compiled.bind_names) or set(by_name) != set(names) or not defaulted <= set(names):
        return None
    return tuple((by_name[name].key, name, by_name[name], _bind_processor(processors.get(name))) for name in names)


def _default_function(default: Any) -> Callable[[], Any]:
    """The function giving a column's Python-side default, as SQLAlchemy's execution computes it: a constant, or a
    function of no argument (SQLAlchemy wraps it in one taking the execution's context, which the driver has not)."""
    if default is not None and default.is_scalar:
        value = default.arg
        return lambda: value
    function = getattr(default.arg, "__wrapped__", None) if default is not None and default.is_callable else None
    if function is None or _takes_arguments(function):
        raise ValueError(f"a default the driver cannot compute: {default!r}")
    return function  # type: ignore[no-any-return]


def _takes_arguments(function: Callable[..., Any]) -> bool:
    """Whether ``function`` needs a positional argument (SQLAlchemy's own test for wrapping it, or not)."""
    try:
        spec = get_callable_argspec(function, no_self=True)
    except TypeError:
        return False  # a built-in (``list``): SQLAlchemy calls it without arguments
    return len(spec[0]) - len(spec[3] or ()) > 0


def _bind_processor(processor: object) -> Processor:
    if processor is not None and not callable(processor):
        raise ValueError("a tuple parameter has no single bind processor")
    return processor


class DirectReads:
    """Connections of ``engine``'s own pool for reads on the driver; for PostgreSQL's asyncpg only.

    A connection given back healthy is kept (checked out, idle) for the next ``connect`` instead of going back to
    the pool: the pool's checkout and checkin (a greenlet each way, their events, the reset on return) cost a
    good part of a read by id. The engine's ``dispose`` closes the kept ones."""

    def __init__(self, engine: AsyncEngine, *, share: int = 4) -> None:
        if engine.dialect.name != "postgresql" or engine.dialect.driver != "asyncpg":
            raise ValueError("direct reads run on PostgreSQL's asyncpg driver only")
        self.dialect = engine.dialect
        self._dispatch = engine.sync_engine.dispatch
        self._idle: list[tuple[PoolProxiedConnection, asyncpg.Connection[Any]]] = []
        self._pool = engine.sync_engine.pool
        self._share = share
        self._bound = kept_at_most(self._pool, share)
        # Statements run here, for the tests that show the hot reads take this way.
        self.statements = 0
        # An engine made by ``execution_options`` shares its parent's pool, whose ``dispose`` the parent's
        # listeners hear (an option engine's own would not be told).
        base = engine.sync_engine
        while isinstance(base, OptionEngine):
            base = base._proxied
        event.listen(base, "engine_disposed", self._disposed)

    @property
    def kept(self) -> int:
        """Connections kept for the next reads (checked out of the pool, idle)."""
        return len(self._idle)

    def observed(self) -> bool:
        """Whether something listens to the engine's statements (a test counting them, tracing): SQLAlchemy then
        runs them, so that it sees every one; direct reads would pass it by. A listener that watches writes only
        (``writes_only``) does not count: a read tells it nothing."""
        dispatch = self._dispatch
        before, after = dispatch.before_cursor_execute, dispatch.after_cursor_execute
        if not before and not after:
            return False  # the common case, told without walking the (empty) collections
        for listeners in (before, after):
            for listener in listeners:
                if not getattr(listener, WRITES_ONLY, False):
                    return True
        return False

    def _lending_observed(self) -> bool:
        """Whether something listens to the pool's lending (a test counting checkouts): every connection then
        goes through the pool, so that it sees each one; a kept connection would pass it by."""
        dispatch = self._pool.dispatch
        return bool(dispatch.checkout or dispatch.checkin or dispatch.reset)

    async def connect(self) -> DirectConnection:
        idle = self._idle
        if idle and not self._lending_observed():
            while idle:
                pooled, driver = idle.pop()
                # Without a pre-ping (db/session.py), the driver's own view: a connection the server closed while
                # it was kept (a restart, an idle timeout, pg_terminate_backend) was seen closing by the loop.
                if not driver.is_closed() and not self._outdated(pooled):
                    return DirectConnection(self, pooled, driver, self._pool)
                await greenlet_spawn(pooled.invalidate)
        pooled = await greenlet_spawn(self._pool.connect)
        return DirectConnection(self, pooled, pooled.driver_connection, self._pool)

    def _keep(self, pooled: PoolProxiedConnection, driver: asyncpg.Connection[Any]) -> bool:
        """Keeps a healthy connection of the engine's present pool, given back, for the next ``connect`` if there
        is room; ``False`` if the pool is to take it back."""
        if len(self._idle) >= self._bound or self._lending_observed() or self._outdated(pooled):
            return False
        pool = self._pool
        if isinstance(pool, QueuePool) and pool.checkedout() > pool.size():
            # The pool lends beyond its size (its overflow): the sessions need connections more than the next
            # read does, so this one goes back to where a session can have it.
            return False
        self._idle.append((pooled, driver))
        return True

    def _outdated(self, pooled: PoolProxiedConnection) -> bool:
        """Whether the pool has given up on ``pooled`` since it was opened: a disconnect seen on any of its
        connections marks every older one stale, and the pool replaces each the next time it lends it. A kept
        connection is not lent by the pool, so it is checked here, alike."""
        record = getattr(pooled, "_connection_record", None)
        return record is not None and record.starttime < getattr(self._pool, "_invalidate_time", 0)

    async def release(self) -> None:
        """Gives the kept connections back to the pool, for an owner done with this object before the engine."""
        idle, self._idle = self._idle, []
        for pooled, _driver in idle:
            await greenlet_spawn(pooled.close)

    def disposed(self, pool: Pool) -> bool:
        """Whether ``pool`` is one the engine disposed since (a connection lent before its ``dispose``)."""
        return pool is not self._pool

    def _disposed(self, engine: Engine) -> None:
        """The engine's pool was disposed (and a new one made): the kept connections are closed, as the pool closed
        its idle ones; later ones come from the new pool. Runs in the greenlet of ``AsyncEngine.dispose``."""
        idle, self._idle = self._idle, []
        self._pool = engine.pool
        self._bound = kept_at_most(self._pool, self._share)
        for pooled, _driver in idle:
            pooled.invalidate()


def kept_at_most(pool: Pool, share: int = 4) -> int:
    """How many connections ``DirectReads`` keeps checked out for its next reads: ``1/share`` of the pool's size.

    A kept connection is one the pool cannot lend to a session. create_engine gives sessions pool_size +
    max_overflow (twice pool_size); the two ``DirectReads`` of an app keep at most three quarters of pool_size
    (the endpoint's, which serves every query, half; the idempotency store's, one or two statements per write, a
    quarter), which leaves writes more than pool_size at once. The kept ones stand in for connections the pool
    would keep idle anyway (up to pool_size), so the server sees no more connections than before. A read that
    finds none kept goes through the pool's checkout and checkin (a greenlet each way, their events, the reset on
    return), which under 32 concurrent reads cost a read by id a few percent of its time with a quarter kept. A
    pool without a size (NullPool closes every connection given back, a static pool has one) keeps none, nor does a
    pool of fewer than ``share``."""
    return pool.size() // share if isinstance(pool, QueuePool) else 0


class DirectConnection:
    """One connection of the pool for a request's reads: statements built once on the driver, the others through
    SQLAlchemy on the same connection, all of them in autocommit."""

    def __init__(
        self, reads: DirectReads, pooled: PoolProxiedConnection, driver: asyncpg.Connection[Any], pool: Pool
    ) -> None:
        self._reads = reads
        self._dialect = reads.dialect
        self._pooled = pooled
        self._driver = driver
        self._pool = pool
        self._broken = False
        self._connection: AsyncConnection | None = None

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    @property
    def info(self) -> dict[Any, Any]:
        """The pooled connection's ``info``, which lives as long as the database connection (its shard, say)."""
        info: dict[Any, Any] = self._pooled.info
        return info

    async def rows(self, prepared: PreparedRead, parameters: Mapping[str, Any]) -> list[Any]:
        compiled = prepared.compiled_for(self._dialect)
        return compiled.rows(await self._fetch(compiled, parameters))

    async def rows_and_trailer(
        self, trailed: PreparedRead, prepared: PreparedRead, parameters: Mapping[str, Any]
    ) -> tuple[list[Any], Any] | None:
        """The rows of ``prepared`` and the value of the column ``trailed`` (``prepared.trailed_by``) adds after its
        own, from one statement: the rows are ``prepared``'s own (its row class, its columns). ``None`` when the
        statement answers no row, so that no value came with it."""
        records = await self._fetch(trailed.compiled_for(self._dialect), parameters)
        if not records:
            return None
        rows = prepared.compiled_for(self._dialect).rows([record[:-1] for record in records])
        return rows, records[0][-1]

    async def _fetch(self, compiled: CompiledRead, parameters: Mapping[str, Any]) -> list[Any]:
        return await self.fetch(compiled.sql, compiled.arguments(parameters))

    async def fetch(self, sql: str, arguments: Sequence[Any]) -> list[Any]:
        """The records of ``sql`` (the driver's SQL, compiled once) run with ``arguments`` (already processed)."""
        try:
            records: list[Any] = await self._driver.fetch(sql, *arguments)
        except BaseException as error:
            self._note_failure(error)
            raise
        self._reads.statements += 1
        return records

    async def control(self, sql: str) -> str:
        """Runs ``BEGIN``, ``COMMIT`` or ``ROLLBACK`` of a transaction run on the driver (``DriverTransaction``);
        the server's status of it (``ROLLBACK`` for the COMMIT of a transaction a failed statement aborted)."""
        try:
            status: str = await self._driver.execute(sql)
        except BaseException as error:
            self._note_failure(error)
            raise
        return status

    def _note_failure(self, error: BaseException) -> None:
        """After a statement raised: a refusal by the server leaves the connection as good as before, unless it was
        the connection's end (a shutdown, a failover); anything else (cancelled or cut off half-way) leaves its
        state unknown. ``close`` drops a connection broken or closed."""
        if not isinstance(error, asyncpg.PostgresError) or self._driver.is_closed():
            self._broken = True

    def translate(self, error: Exception) -> Exception:
        """A driver's ``error`` as SQLAlchemy's asyncpg adapter raises it (its DBAPI error, the driver's as its
        ``__cause__``), for SQLAlchemy's wrapping."""
        adapted = self._pooled.dbapi_connection
        assert adapted is not None  # checked out, not yet given back
        try:
            adapted._handle_exception(error)
        except self._dialect.loaded_dbapi.Error as translated:
            return translated
        return error

    async def sqlalchemy(self, engine: AsyncEngine) -> AsyncConnection:
        """The same pooled connection as a SQLAlchemy connection of ``engine`` (made once): ``engine`` must run in
        autocommit, so that SQLAlchemy begins no transaction of its own on it."""
        if self._connection is None:
            connection = await greenlet_spawn(Connection, engine.sync_engine, self._pooled)
            self._connection = AsyncConnection(engine, connection)
        return self._connection

    async def close(self) -> None:
        """Kept for the next reads if it is healthy and idle, else back to the pool, or out of it if a statement
        stopped half-way, the server closed it, or a transaction is still open on it (a driver transaction whose
        ROLLBACK failed: neither the pool's reset on return nor SQLAlchemy's adapter, which rolls back only what
        it began, would end it).

        A connection SQLAlchemy ran statements on goes back through SQLAlchemy, which resets what it set (the
        isolation level) on the way back to the pool."""
        connection, driver = self._connection, self._driver
        unusable = self._broken or driver.is_in_transaction() or driver.is_closed()
        if connection is None:
            if unusable or self._reads.disposed(self._pool):
                # Or its pool was disposed meanwhile (which would hold it open, idle, until the pool is collected).
                await greenlet_spawn(self._pooled.invalidate)
            elif not self._reads._keep(self._pooled, driver):
                await greenlet_spawn(self._pooled.close)
            return
        if unusable:
            await connection.invalidate()
        await connection.close()  # SQLAlchemy's connection gives the pooled one back

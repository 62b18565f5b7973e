"""The per-request GraphQL context: who is asking, the request's database handle and its DataLoaders."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import strawberry
from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from db.direct_reads import DirectConnection, DirectReads, PreparedRead
from db.queries.executor import DriverTransaction, WriteTransaction, core_rows
from db.queries.store_versions import (
    VERSION_COLUMN,
    VERSION_STORE,
    data_version,
    raised_by_database,
    work_for_store,
)
from db.session import begin_write, close_session
from resolvers.core.cursors import CursorCodec
from resolvers.core.loaders import Loaders
from storegraph.platform.auth.key_cache import KeyRevocations
from storegraph.platform.auth.principal import Principal
from storegraph.platform.jobs.queue import JobQueue
from storegraph.platform.limits import RateLimiter
from storegraph.platform.limits.cost_budget import CostBudget
from storegraph.settings import Settings


class RequestDatabase:
    """One session and transaction per request, opened on first use, used by one statement at a time.

    graphql-core resolves sibling fields concurrently and one connection runs one statement at a time, so every
    use of the session holds a lock: ``execute`` for one statement, ``writing`` for a whole mutation's work, and
    ``finish`` for the commit or rollback. A DataLoader batch runs in a task of its own that can outlive the
    resolvers awaiting it (execution may end on an unexpected error while it is still running); ``finish``
    waits for it, and anything that comes later finds the handle closed instead of a session handed back to
    the pool.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        autocommit_reads: AsyncEngine | None = None,
        direct_reads: DirectReads | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None
        # For a query, on PostgreSQL: its statements run in autocommit on one connection, without BEGIN and
        # COMMIT (two round trips and a session's bookkeeping less). Under READ COMMITTED each statement of a
        # transaction takes its own snapshot anyway, so a read sees nothing different. SQLite passes None: there a
        # transaction is what gives a read's statements one snapshot.
        self._autocommit_reads = autocommit_reads
        self._reads_only = False
        self._connection: AsyncConnection | None = None
        # For a query on PostgreSQL, the statements built once run on the driver itself (db/direct_reads.py), and
        # the others through SQLAlchemy on the same pooled connection: a read takes one connection from the pool.
        self._direct_reads = direct_reads
        self._direct_connection: DirectConnection | None = None
        # Whether ``rows`` runs on the driver (``None``: no statement ran yet).
        self._direct: bool | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._store_id: int | None = None
        # The store whose data version is still to be read with the first statement (``read_version_first``),
        # and the version read (``None``: not read, or no such store).
        self._version_of: int | None = None
        self.version: int | None = None
        # Whether the request runs one mutation and then only its payload's reads (``one_mutation``), and its
        # transaction on the driver once that mutation began one (``mutating_on_driver``).
        self._one_mutation = False
        self._driver_transaction: DriverTransaction | None = None

    def work_for(self, store_id: int) -> None:
        """The store whose data the request's writes are (its commit raises that store's data version)."""
        self._store_id = store_id

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None, /) -> Result[Any]:
        """Runs a Core statement (db/queries/ selects columns, never ORM entities) on the session's connection, in
        the request's transaction. Core execution skips the ORM's per-statement work, a good part of a read's cost;
        ORM work (entities, the identity map) goes through ``writing``."""
        async with self._lock:
            return await self._execute(statement, parameters)

    def read_version_first(self, store_id: int) -> None:
        """Reads ``store_id``'s data version (into ``version``) no later than the request's first statement: in
        that statement itself where it can (a SELECT built once, on the driver: one round trip for both, in one
        snapshot), else just before it. Either way no data the request reads from here is older than the version:
        what the request read some other way before its first statement (another connection, a cache) would be."""
        self._version_of = store_id

    async def rows(self, prepared: PreparedRead, parameters: Mapping[str, Any], /) -> Sequence[Any]:
        """The rows of a statement built once: on the driver directly for a query on PostgreSQL, else as
        ``execute`` runs it."""
        async with self._lock:
            return await self._rows(prepared, parameters)

    async def _rows(self, prepared: PreparedRead, parameters: Mapping[str, Any]) -> Sequence[Any]:
        if self._driver_transaction is not None:
            return await self._driver_transaction.rows(prepared, parameters)
        if self._version_of is not None:
            return await self._rows_after_version(prepared, parameters)
        if self._goes_direct():
            return await (await self._open_direct_connection()).rows(prepared, parameters)
        if not self._reads_only:
            # In the request's write transaction: on the driver too, on its connection (``core_rows``).
            return await core_rows(self._open_session(), prepared, parameters)
        return (await self._execute(prepared.statement, parameters)).all()

    async def _rows_after_version(self, prepared: PreparedRead, parameters: Mapping[str, Any]) -> Sequence[Any]:
        """The first statement's rows, the version read with them or before them."""
        store_id = self._version_of
        assert store_id is not None
        trailed = prepared.trailed_by(VERSION_COLUMN)
        if trailed is not None and self._goes_direct():
            self._version_of = None
            connection = await self._open_direct_connection()
            found = await connection.rows_and_trailer(trailed, prepared, {**parameters, VERSION_STORE: store_id})
            if found is not None:
                rows, version = found
                self.version = None if version is None else int(version)
                return rows
            self._version_of = store_id  # no row, so no version came with them: the version, then the statement
        await self._read_version()
        return await self._rows(prepared, parameters)

    async def _read_version(self) -> None:
        """Reads the version ``read_version_first`` asked for, by a statement of its own."""
        store_id, self._version_of = self._version_of, None
        assert store_id is not None
        self.version = await data_version(self._rows, store_id)

    def _goes_direct(self) -> bool:
        """Whether ``rows`` runs on the driver. Decided once, at the first statement: after it the request's way
        to the database is fixed (a query's reads, or a session), and what listens to the engine is set up
        between requests."""
        direct = self._direct
        if direct is None:
            direct = self._direct = (
                self._reads_only and self._direct_reads is not None and not self._direct_reads.observed()
            )
        return direct

    async def _execute(self, statement: Executable, parameters: Mapping[str, Any] | None) -> Result[Any]:
        if self._driver_transaction is not None:
            return await self._driver_transaction.execute(statement, parameters)
        if self._version_of is not None:
            await self._read_version()
        if self._reads_only:
            return await (await self._open_read_connection()).execute(statement, parameters)
        connection = await self._open_session().connection()
        return await connection.execute(statement, parameters)

    def reads_only(self) -> None:
        """Declares, before the first statement, that the request only reads (a query): ``writing`` then refuses."""
        if self._session is None and self._autocommit_reads is not None:
            self._reads_only = True

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """The session for the block's exclusive use, its transaction begun as a writing one (SQLite: BEGIN
        IMMEDIATE) if none is open: the request's first use of the database, or the first after a mutation that
        was its transaction's first work failed (``mutating``).

        Hold no DataLoader call inside the block: a load waits for the lock the block holds.
        """
        async with self._lock:
            session = self._session_to_write()
            if not session.in_transaction():
                await begin_write(session)
            yield session

    @asynccontextmanager
    async def mutating(self) -> AsyncIterator[AsyncSession]:
        """``writing`` for one mutation's work, undone whole if the block raises.

        In a savepoint of the request's transaction; but when the mutation is the transaction's first work (a /v1
        write, most mutation requests), the transaction itself is the savepoint: rolled back if the block raises,
        so the next use begins a new one. That saves the SAVEPOINT and RELEASE round trips of every such request.
        """
        async with self._lock, self._session_mutating() as session:
            yield session

    def one_mutation(self) -> None:
        """Declares, before the first statement, that the request runs one mutation, then only its payload's reads
        (a compiled mutation: one root field): that mutation's work may run on the driver (``mutating_on_driver``)."""
        self._one_mutation = True

    @asynccontextmanager
    async def mutating_on_driver(self) -> AsyncIterator[WriteTransaction]:
        """``mutating`` for work that takes either kind of ``WriteTransaction``: on the driver alone
        (``DriverTransaction``) when the request runs this mutation only, on PostgreSQL with the version's trigger,
        no session open and nothing listening to the engine's statements (a test counting them sees them all
        through SQLAlchemy); else the session's, as ``mutating``. The transaction is rolled back if the block
        raises, and committed or rolled back by ``finish`` otherwise; the payload's reads run in it."""
        async with self._lock:
            transaction = await self._driver_transaction_to_begin()
            if transaction is None:
                async with self._session_mutating() as session:
                    yield session
                return
            await transaction.begin()
            self._driver_transaction = transaction
            try:
                yield transaction
            except BaseException:
                self._driver_transaction = None
                # A ROLLBACK that fails leaves the connection broken or in its transaction: ``finish`` then drops
                # it rather than keeping it. What the block raised is what the caller is told.
                with contextlib.suppress(Exception):
                    await transaction.rollback()
                raise

    async def _driver_transaction_to_begin(self) -> DriverTransaction | None:
        reads, engine = self._direct_reads, self._autocommit_reads
        if not self._one_mutation or self._session is not None or self._driver_transaction is not None:
            return None
        if reads is None or engine is None or self._reads_only or reads.observed():
            return None
        connection = await self._open_direct_connection()
        if raised_by_database(connection.info):
            return DriverTransaction(connection, engine)
        await self._close_reads()  # the session takes a connection of its own: never two held at once
        return None

    @asynccontextmanager
    async def _session_mutating(self) -> AsyncIterator[AsyncSession]:
        session = self._session_to_write()
        if session.in_transaction():
            async with session.begin_nested():
                yield session
            return
        await begin_write(session)
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise

    def _session_to_write(self) -> AsyncSession:
        if self._reads_only:
            raise RuntimeError("a read-only request (a query) asked to write")
        if self._driver_transaction is not None:
            raise RuntimeError("a request that writes on the driver asked for a session to write with")
        return self._open_session()

    async def finish(self, *, commit: bool) -> None:
        """Commits or rolls back and closes, once no statement is running; the handle is closed afterwards.

        If the commit or rollback fails, the connection's state is unknown (a statement cancelled half-way, a
        dropped connection), so it is invalidated rather than returned to the pool for a later request to trip on.
        """
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            transaction, self._driver_transaction = self._driver_transaction, None
            try:
                if transaction is not None:
                    await (transaction.commit() if commit else transaction.rollback())
            finally:
                await self._close_reads()  # its connection (kept, or invalidated if the COMMIT stopped half-way)
            session, self._session = self._session, None
            if session is not None:
                await self._end(session, commit=commit)
        if commit:
            for action in self._after_commit:
                await action()

    @staticmethod
    async def _end(session: AsyncSession, *, commit: bool) -> None:
        try:
            if commit:
                await session.commit()
            else:
                await session.rollback()
        except BaseException:
            await session.invalidate()
            raise
        await close_session(session)

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Runs ``action`` once the request's transaction committed (never if it rolls back): telling other
        processes about a change before it is visible would let them read the old state again."""
        self._after_commit.append(action)

    async def _close_reads(self) -> None:
        """The read connection back to the pool: in autocommit, it has nothing to commit or roll back."""
        connection, self._connection = self._connection, None
        direct, self._direct_connection = self._direct_connection, None
        if direct is not None:
            await direct.close()  # ``connection``, if any, runs on it
        elif connection is not None:
            await connection.close()

    async def _open_read_connection(self) -> AsyncConnection:
        if self._closed:
            raise RuntimeError("the request's database handle is used after the request finished")
        if self._connection is None:
            assert self._autocommit_reads is not None
            if self._direct_reads is not None:
                direct = await self._open_direct_connection()
                self._connection = await direct.sqlalchemy(self._autocommit_reads)
            else:
                self._connection = await self._autocommit_reads.connect()
        return self._connection

    async def _open_direct_connection(self) -> DirectConnection:
        if self._closed:
            raise RuntimeError("the request's database handle is used after the request finished")
        if self._direct_connection is None:
            assert self._direct_reads is not None
            self._direct_connection = await self._direct_reads.connect()
        return self._direct_connection

    def _open_session(self) -> AsyncSession:
        if self._closed:
            raise RuntimeError("the request's database handle is used after the request finished")
        if self._session is None:
            self._session = self._sessionmaker()
            if self._store_id is not None:
                work_for_store(self._session, self._store_id)
        return self._session


@dataclass(slots=True)
class Context:
    principal: Principal
    db: RequestDatabase
    settings: Settings
    cursors: CursorCodec
    # The key's query-cost bucket, when the limiter gives one: charged by schema/core/cost.py before execution.
    cost_budget: CostBudget | None = None
    # Where revoking a key or changing a store is announced, so cached keys are dropped in every process.
    key_revocations: KeyRevocations | None = None
    # Where the ``usage`` and ``quotas`` fields read the key's and the store's counters.
    rate_limiter: RateLimiter | None = None
    # Where mutations hand work to the background worker (tracked signups and events, redeliveries).
    job_queue: JobQueue | None = None
    # The ``operationName`` the client sent: without one, a document of several operations is a request error
    # (GraphQL's GetOperation), which schema/core/documents.py raises since strawberry would run the first.
    operation_name: str | None = None
    # The operation's label for the per-endpoint usage counters, set once the document is parsed
    # (schema/core/usage_label.py); the endpoint hands it to the rate-limit middleware.
    usage_endpoint: str | None = None
    # The type of the operation that runs ("query", "mutation"), known with the label; the endpoint tells
    # idempotency, which keeps only a mutation's answer.
    operation_type: str | None = None
    # The columns a running compiled plan reads of each object type's rows, by type name (an absent type: all of
    # them). A list, or a read by id, reads only those: a customer's row has thirty columns, a query shows a
    # handful, and the driver decodes every column it is sent. Some are no column of the table but a value its
    # statement computes (a customer's ``tags``), read only when named here. Empty outside a plan's run, so the
    # standard way always loads whole rows.
    wanted: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Whether the answer holds a /v1 row's REST objects at the row's result, built by its plan in place of the
    # GraphQL ones (schema/core/compiled/fast_lane.py ``answer``'s ``reshape``): the row then converts nothing.
    rest_objects: bool = False
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.principal.store_id)
        self.db.work_for(self.principal.store_id)

    @property
    def store_id(self) -> int:
        return self.principal.store_id


Info: TypeAlias = strawberry.Info[Context, None]

"""A store's data version: raised by every transaction that writes the store's data, in that transaction.

/v1 makes the ETag of a GET from the store's version (rest_compat/conditional.py) and answers a request whose
``If-None-Match`` names it with 304 without running anything, so the version must change with every write that
could change an answer, whoever writes: a GraphQL mutation, a /v1 write, a worker's job. Rather than trust each
of them to remember, the database layer notices the writes itself:

- every INSERT, UPDATE or DELETE a connection runs on a table of store data marks the connection's transaction
  (``after_cursor_execute``; a transaction's begin clears the mark, and a savepoint's rollback takes back what was
  marked since the savepoint: a mutation that failed and undid its work leaves the version as it was);
- when a session commits a marked transaction, it raises the version of the store it works for (``info`` set by
  ``work_for_store``: the request's principal's, the job's), in the same transaction, just before COMMIT; a
  session that wrote without saying for which store raises every store's version, which is always correct.

On PostgreSQL the database does the raising itself: a deferred trigger on every table of store data raises the
store of the rows written, at COMMIT, in the COMMIT's own round trip (migration 0015 says how), so a session's
commit adds no statement. A connection learns when it opens whether the trigger is there (``_RAISED_BY_DATABASE``);
one opened before the migration ran raises as SQLite does.

The version is the sum of the store's counters in ``store_versions``, one row per shard, and a commit adds one to
the row of the shard its database connection was given when it was opened (``SHARDS`` of them, in turn): writers
on different connections update different rows, so none waits for another's COMMIT on a row they all update, and
no row gathers the dead versions of every write. The counters only grow, so every committed write raises the sum,
and the sum is read by one statement, in one snapshot. The sum includes ``stores.data_version``, which the releases
before these counters raised: their processes, still running beside this release's during a rollout, raise a
version this release reads, and the versions go on from where they were.

The tables in ``UNVERSIONED_TABLES`` (db/queries/write_marks.py) hold bookkeeping no GET answers from the version
(jobs, the outbox, the idempotency records, usage counters), so a worker draining the outbox does not touch every
store. Statements run on the driver (``core_write``), which the listener does not see, mark the transaction by the
same rule themselves. Writes outside a session (``write_transaction``: a key's ``last_used_at``, the usage
counters, the job queue) raise nothing: the GETs that show them make their ETag from the answer instead
(``Endpoint.conditional``).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, Connection, SmallInteger, bindparam, cast, event, func, literal_column, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import ExecutionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_

from db.direct_reads import PreparedRead, writes_only
from db.direct_writes import PreparedWrite
from db.models import Store, StoreVersion
from db.queries.executor import core_write_in_greenlet, transaction_connection
from db.queries.write_marks import WROTE, note_write

# ``session.info``: the store a session works for.
_STORE_ID = "storegraph_store_id"
# ``connection.info``: for each open savepoint, innermost last, whether the transaction had written before it.
_SAVEPOINTS = "storegraph_savepoint_marks"
# ``connection.info``: the shard whose counter the connection's commits raise, for as long as it stays open, and
# whether no other open connection has it (it goes back to the engine's free shards when the connection closes).
_SHARD = "storegraph_version_shard"
_SHARD_HELD = "storegraph_version_shard_held"
# ``connection.info``: whether the database raises the version at COMMIT itself (PostgreSQL, once migrated).
_RAISED_BY_DATABASE = "storegraph_version_raised_by_database"
# Enough for a process's concurrent writers to have a row each (its pool's size, 40 by default, comes back round
# to the first shards only past this many connections), few enough that the read of a version sums a few rows.
SHARDS = 32


def work_for_store(session: AsyncSession | Session, store_id: int) -> None:
    """Declares that ``session`` writes ``store_id``'s data (before it commits): its commit raises that store's
    version only."""
    session.info[_STORE_ID] = store_id


def track_writes(engine: AsyncEngine) -> None:
    """Marks the transactions of ``engine``'s connections that write store data, and gives each of its
    connections the shard its commits raise."""
    shards = _Shards()
    event.listen(engine.sync_engine, "connect", shards.take)
    if engine.dialect.driver == "asyncpg":
        event.listen(engine.sync_engine, "connect", _tell_the_database_its_shard)  # after ``take``
    event.listen(engine.sync_engine, "close", shards.give_back)
    event.listen(engine.sync_engine, "begin", _clear_mark)
    event.listen(engine.sync_engine, "after_cursor_execute", _mark_writes)
    event.listen(engine.sync_engine, "savepoint", _open_savepoint)
    event.listen(engine.sync_engine, "rollback_savepoint", _roll_back_savepoint)
    event.listen(engine.sync_engine, "release_savepoint", _release_savepoint)


class VersionedSession(Session):
    """The sessions of ``db.session.create_sessionmaker``: a commit raises the version of the store they wrote."""


class _Shards:
    """The shards of one engine's connections: a new connection takes the lowest that no open connection holds, so
    connections open at the same time raise different rows (past ``SHARDS`` of them, they take turns). A closed
    connection gives its shard back: the pool's overflow connections come and go, and counting them in turn would
    soon hand shards out at random, two of the open connections on one row."""

    def __init__(self) -> None:
        self._free = list(range(SHARDS))  # a heap
        self._opened = itertools.count()

    def take(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if self._free:
            record.info[_SHARD] = heapq.heappop(self._free)
            record.info[_SHARD_HELD] = True
        else:
            record.info[_SHARD] = next(self._opened) % SHARDS

    def give_back(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if record.info.pop(_SHARD_HELD, False):
            heapq.heappush(self._free, record.info[_SHARD])


# The trigger's function (migration 0015); the shard's setting, which it reads.
_TRIGGER_FUNCTION = "storegraph_raise_store_version"
_SHARD_SETTING = "storegraph.version_shard"


def _tell_the_database_its_shard(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    """Gives the new connection's session its shard (for the trigger that raises versions at COMMIT), and notes
    whether that trigger is there. On the driver, outside any transaction: a setting made in one would end with it."""
    driver = record.driver_connection
    assert driver is not None  # the event is told of a connection just opened
    found = await_(
        driver.fetchval(
            "SELECT to_regproc($1) IS NOT NULL FROM set_config($2, $3, false)",
            _TRIGGER_FUNCTION,
            _SHARD_SETTING,
            str(record.info[_SHARD]),
        )
    )
    record.info[_RAISED_BY_DATABASE] = bool(found)


def raised_by_database(info: Mapping[Any, Any]) -> bool:
    """Whether the database raises the store's version at COMMIT itself on the connection whose ``info`` this is
    (its pool entry's): a transaction run there needs no session's commit to raise it."""
    return bool(info.get(_RAISED_BY_DATABASE))


def _raising(insert: Any, *, every_store: bool) -> Any:
    """Adds one to the counter of the shard ``version_shard`` of the store ``version_store_id`` (of every store),
    making the counter where it is the shard's first write for the store. The store is taken from ``stores``: a
    session working for a store that is gone raises nothing, rather than failing its commit on the foreign key."""
    one = literal_column("1", BigInteger)
    chosen = select(Store.id, bindparam("version_shard", type_=SmallInteger), one)
    # SQLite reads the ``ON`` of ``ON CONFLICT`` after a SELECT without a WHERE as a join's.
    chosen = chosen.where(true()) if every_store else chosen.where(Store.id == bindparam("version_store_id"))
    return (
        insert(StoreVersion)
        .from_select(["store_id", "shard", "version"], chosen)
        .on_conflict_do_update(
            index_elements=[StoreVersion.store_id, StoreVersion.shard], set_={"version": StoreVersion.version + one}
        )
    )


# Built once, for each dialect's upsert: building a statement and its cache key on every commit cost more of a
# write's time than running it. On PostgreSQL they run on the driver (``core_write_in_greenlet``).
_RAISE_VERSION = {
    "postgresql": PreparedWrite(_raising(postgresql.insert, every_store=False)),
    "sqlite": PreparedWrite(_raising(sqlite.insert, every_store=False)),
}
_RAISE_EVERY_VERSION = {
    "postgresql": PreparedWrite(_raising(postgresql.insert, every_store=True)),
    "sqlite": PreparedWrite(_raising(sqlite.insert, every_store=True)),
}


@event.listens_for(VersionedSession, "before_commit")
def _raise_version(session: Session) -> None:
    if not session.in_transaction():
        return
    connection = transaction_connection(session)
    if raised_by_database(connection.info):
        connection.info.pop(WROTE, None)
        return
    session.flush()  # the ORM's pending writes happen after this hook otherwise, unseen
    if not connection.info.pop(WROTE, False):
        return
    store_id = session.info.get(_STORE_ID)
    shard = connection.info[_SHARD]
    if store_id is None:
        core_write_in_greenlet(session, _RAISE_EVERY_VERSION[connection.dialect.name], {"version_shard": shard})
    else:
        parameters = {"version_store_id": store_id, "version_shard": shard}
        core_write_in_greenlet(session, _RAISE_VERSION[connection.dialect.name], parameters)
    connection.info.pop(WROTE, None)  # the upsert's own mark: it is the version, not a change it must raise


def _clear_mark(connection: Connection) -> None:
    connection.info.pop(WROTE, None)
    connection.info.pop(_SAVEPOINTS, None)


# Savepoints nest and end innermost first (SQLAlchemy names them only after this event, so the order is the key).
def _open_savepoint(connection: Connection, _name: str | None) -> None:
    connection.info.setdefault(_SAVEPOINTS, []).append(connection.info.get(WROTE, False))


def _roll_back_savepoint(connection: Connection, _name: str, _context: Any) -> None:
    marks: list[bool] = connection.info.get(_SAVEPOINTS, [])
    if marks:
        connection.info[WROTE] = marks.pop()


def _release_savepoint(connection: Connection, _name: str, _context: Any) -> None:
    marks: list[bool] = connection.info.get(_SAVEPOINTS, [])
    if marks:
        marks.pop()  # what it wrote is the transaction's now


@writes_only
def _mark_writes(
    connection: Connection,
    _cursor: Any,
    _statement: str,
    _parameters: Any,
    context: ExecutionContext | None,
    _executemany: bool,
) -> None:
    note_write(connection, getattr(getattr(context, "compiled", None), "statement", None))


# A store's version: its column of the releases before the counters plus their sum.
_VERSION = (
    Store.data_version
    + select(cast(func.coalesce(func.sum(StoreVersion.version), literal_column("0")), BigInteger))
    .where(StoreVersion.store_id == Store.id)
    .scalar_subquery()
)
# One row for a store (none for no store).
_STORE_VERSION = PreparedRead(select(_VERSION.label("version")).where(Store.id == bindparam("store_id")))
# The parameter of ``VERSION_COLUMN``: the store whose version it is.
VERSION_STORE = "storegraph_version_store"
# The version of the store ``VERSION_STORE`` (null for no such store), as a column any SELECT can answer beside its
# own, read in the same snapshot as them (``PreparedRead.trailed_by``). Never correlated: a SELECT of ``stores``
# would otherwise take its ``stores`` for the subquery's.
VERSION_COLUMN = (
    select(_VERSION)
    .where(Store.id == bindparam(VERSION_STORE))
    .correlate(None)
    .scalar_subquery()
    .label("storegraph_version")
)
Rows = Callable[[PreparedRead, Mapping[str, Any]], Awaitable[Sequence[Any]]]


async def data_version(rows: Rows, store_id: int) -> int | None:
    """The store's data version (``None``: no such store), read with ``rows`` (the request database's)."""
    found = await rows(_STORE_VERSION, {"store_id": store_id})
    return int(found[0][0]) if found else None

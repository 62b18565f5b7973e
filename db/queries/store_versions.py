"""``stores.data_version``: raised by every transaction that writes a store's data, in that transaction.

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

The tables in ``UNVERSIONED_TABLES`` hold bookkeeping no GET answers from the version (jobs, the outbox, the
idempotency records, usage counters), so a worker draining the outbox does not touch every store. Writes outside a
session (``write_transaction``: a key's ``last_used_at``, the usage counters, the job queue) raise nothing: the
GETs that show them make their ETag from the answer instead (``Endpoint.conditional``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, event, select, update
from sqlalchemy.engine import ExecutionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

from db.direct_reads import PreparedRead, writes_only
from db.models import Store

UNVERSIONED_TABLES = frozenset({"jobs", "outbox_events", "idempotency_records", "usage_counters"})
# ``session.info``: the store a session works for. ``connection.info``: whether its transaction wrote store data.
_STORE_ID = "storegraph_store_id"
_WROTE = "storegraph_wrote_store_data"
# ``connection.info``: for each open savepoint, innermost last, whether the transaction had written before it.
_SAVEPOINTS = "storegraph_savepoint_marks"


def work_for_store(session: AsyncSession | Session, store_id: int) -> None:
    """Declares that ``session`` writes ``store_id``'s data (before it commits): its commit raises that store's
    version only."""
    session.info[_STORE_ID] = store_id


def track_writes(engine: AsyncEngine) -> None:
    """Marks the transactions of ``engine``'s connections that write store data."""
    event.listen(engine.sync_engine, "begin", _clear_mark)
    event.listen(engine.sync_engine, "after_cursor_execute", _mark_writes)
    event.listen(engine.sync_engine, "savepoint", _open_savepoint)
    event.listen(engine.sync_engine, "rollback_savepoint", _roll_back_savepoint)
    event.listen(engine.sync_engine, "release_savepoint", _release_savepoint)


class VersionedSession(Session):
    """The sessions of ``db.session.create_sessionmaker``: a commit raises the version of the store they wrote."""


# Built once: building the UPDATE and its cache key on every commit cost more of a write's time than running it.
_RAISE_EVERY_VERSION = update(Store).values(
    data_version=Store.data_version + 1,
    updated_at=Store.updated_at,  # not the store's own change: its onupdate must not run
)
_RAISE_VERSION = _RAISE_EVERY_VERSION.where(Store.id == bindparam("version_store_id"))


@event.listens_for(VersionedSession, "before_commit")
def _raise_version(session: Session) -> None:
    if not session.in_transaction():
        return
    session.flush()  # the ORM's pending writes happen after this hook otherwise, unseen
    connection = session.connection()
    if not connection.info.pop(_WROTE, False):
        return
    store_id = session.info.get(_STORE_ID)
    if store_id is None:
        connection.execute(_RAISE_EVERY_VERSION)
    else:
        connection.execute(_RAISE_VERSION, {"version_store_id": store_id})
    connection.info.pop(_WROTE, None)


def _clear_mark(connection: Connection) -> None:
    connection.info.pop(_WROTE, None)
    connection.info.pop(_SAVEPOINTS, None)


# Savepoints nest and end innermost first (SQLAlchemy names them only after this event, so the order is the key).
def _open_savepoint(connection: Connection, _name: str | None) -> None:
    connection.info.setdefault(_SAVEPOINTS, []).append(connection.info.get(_WROTE, False))


def _roll_back_savepoint(connection: Connection, _name: str, _context: Any) -> None:
    marks: list[bool] = connection.info.get(_SAVEPOINTS, [])
    if marks:
        connection.info[_WROTE] = marks.pop()


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
    compiled = getattr(context, "compiled", None)
    dml = getattr(compiled, "statement", None)
    if isinstance(dml, UpdateBase) and getattr(dml.table, "name", None) not in UNVERSIONED_TABLES:
        connection.info[_WROTE] = True


_STORE_VERSION = PreparedRead(select(Store.data_version).where(Store.id == bindparam("store_id")))
Rows = Callable[[PreparedRead, Mapping[str, Any]], Awaitable[Sequence[Any]]]


async def data_version(rows: Rows, store_id: int) -> int | None:
    """The store's data version (``None``: no such store), read with ``rows`` (the request database's)."""
    found = await rows(_STORE_VERSION, {"store_id": store_id})
    return int(found[0][0]) if found and found[0][0] is not None else None

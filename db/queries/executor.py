from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.direct_reads import PreparedRead


class Executor(Protocol):
    """Anything that runs a statement: an ``AsyncSession`` or the per-request database of the GraphQL context."""

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None, /) -> Result[Any]: ...


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
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_HELD_CONNECTION)
    if held is not None and transaction is not None and held[0] is transaction and transaction.is_active:
        connection: AsyncConnection = held[1]
    else:
        # Asking the session costs a good part of a statement's own work; its connection stays the same for the
        # whole of its transaction (savepoints included), so it is asked once per transaction.
        connection = await session.connection()
        session.info[_HELD_CONNECTION] = (session.sync_session.get_transaction(), connection)
    return await connection.execute(statement, parameters)


def hold_connection(session: AsyncSession, connection: AsyncConnection) -> None:
    """Tells ``run_core`` the connection of ``session``'s transaction, for a caller that has just asked for it (the
    write's begin): its first statement then does not ask the session again."""
    session.info[_HELD_CONNECTION] = (session.sync_session.get_transaction(), connection)


# ``session.info``: the session's transaction when ``run_core`` last asked for its connection, and that connection.
_HELD_CONNECTION = "storegraph_core_connection"

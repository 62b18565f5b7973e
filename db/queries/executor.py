from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Executable, Result

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

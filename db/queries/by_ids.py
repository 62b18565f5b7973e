"""A store's rows by id, the statement behind every DataLoader: built once, with bound parameters.

On a read by id, building the SELECT and its cache key costs more of the process's time than executing it, so each
table's statement is made once at import and only its parameters change per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Row, Select, any_, bindparam, select
from sqlalchemy.orm import QueryableAttribute

from db.direct_reads import PreparedRead
from db.queries.executor import Executor, fetch_rows


def prepared_by_ids(
    build: Callable[[ColumnElement[bool]], Select[*tuple[Any, ...]]],
    column: QueryableAttribute[Any],
    name: str = "ids",
) -> PreparedRead:
    """A statement built once whose rows are chosen by a list of ids, the parameter ``name``: ``build(condition)``
    with ``column`` in the list as an expanding ``IN`` for SQLAlchemy, and as ``= ANY`` of one array for the driver."""
    return PreparedRead(
        build(column.in_(bindparam(name, expanding=True))),
        build(column == any_(bindparam(name, type_=ARRAY(column.type)))),
    )


class RowsByIds:
    """``await rows(db, store_id, ids)``: the store's rows among ``ids``, in no particular order; another store's
    ids find nothing."""

    def __init__(
        self,
        columns: Sequence[ColumnElement[Any]],
        store_column: QueryableAttribute[int],
        id_column: QueryableAttribute[int],
    ) -> None:
        in_store = store_column == bindparam("store_id")
        self.prepared = prepared_by_ids(lambda chosen: select(*columns).where(in_store, chosen), id_column)

    async def __call__(self, db: Executor, store_id: int, ids: list[int]) -> Sequence[Row[Any]]:
        return await fetch_rows(db, self.prepared, {"store_id": store_id, "ids": ids})

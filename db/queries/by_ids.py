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

# How a statement takes a list parameter: ``in_list(column, name)`` is ``column`` in the list named ``name``.
ListColumn = ColumnElement[Any] | QueryableAttribute[Any]
InList = Callable[[ListColumn, str], ColumnElement[bool]]


def expanding_in(column: ListColumn, name: str) -> ColumnElement[bool]:
    """SQLAlchemy's form: an expanding ``IN``, whose SQL is rendered anew for each list's length."""
    return column.in_(bindparam(name, expanding=True))


def any_of_array(column: ListColumn, name: str) -> ColumnElement[bool]:
    """The driver's form: ``= ANY`` of one array parameter, the same SQL whatever the list's length."""
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


def prepared_with_lists(build: Callable[[InList], Select[*tuple[Any, ...]]]) -> PreparedRead:
    """A statement built once whose list parameters are an expanding ``IN`` for SQLAlchemy and an array for the
    driver (``PreparedRead``): ``build(in_list)`` makes each form."""
    return PreparedRead(build(expanding_in), build(any_of_array))


def prepared_by_ids(
    build: Callable[[ColumnElement[bool]], Select[*tuple[Any, ...]]],
    column: QueryableAttribute[Any],
    name: str = "ids",
) -> PreparedRead:
    """A statement built once whose rows are chosen by a list of ids, the parameter ``name``: ``build(condition)``
    with ``column`` in the list (``prepared_with_lists``)."""
    return prepared_with_lists(lambda in_list: build(in_list(column, name)))


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

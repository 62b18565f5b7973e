"""A store's rows by id, the statement behind every DataLoader: built once, with bound parameters.

On a read by id, building the SELECT and its cache key costs more of the process's time than executing it, so each
table's statement is made once at import and only its parameters change per call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Row, Select, any_, bindparam, select
from sqlalchemy.orm import QueryableAttribute

from db.direct_reads import PreparedRead
from db.queries.columns import chosen_columns
from db.queries.executor import Executor, fetch_rows

# The column choices a table's read by id keeps a statement for (``RowsByIds``): one per set of fields the
# documents that read the table by id show, a handful.
CHOICES_KEPT = 64

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
    ids find nothing. With ``wanted``, only those columns (``chosen_columns``: the id always, and the ``computed``
    ones it names), each choice's statement built once."""

    def __init__(
        self,
        columns: Sequence[ColumnElement[Any]],
        store_column: QueryableAttribute[int],
        id_column: QueryableAttribute[int],
        computed: Sequence[ColumnElement[Any]] = (),
    ) -> None:
        in_store = store_column == bindparam("store_id")
        always = (id_column.key,)

        def prepared(wanted: frozenset[str] | None) -> PreparedRead:
            chosen_ones = chosen_columns(columns, wanted, always, computed)
            return prepared_by_ids(lambda chosen: select(*chosen_ones).where(in_store, chosen), id_column)

        self.prepared = prepared(None)
        self._chosen = functools.lru_cache(maxsize=CHOICES_KEPT)(prepared)

    async def __call__(
        self, db: Executor, store_id: int, ids: list[int], wanted: frozenset[str] | None = None
    ) -> Sequence[Row[Any]]:
        prepared = self.prepared if wanted is None else self._chosen(wanted)
        return await fetch_rows(db, prepared, {"store_id": store_id, "ids": ids})

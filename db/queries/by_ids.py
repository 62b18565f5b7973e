"""A store's rows by id, the statement behind every DataLoader: built once, with bound parameters.

On a read by id, building the SELECT and its cache key costs more of the process's time than executing it, so each
table's statement is made once at import and only its parameters change per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, select
from sqlalchemy.orm import QueryableAttribute

from db.queries.executor import Executor


class RowsByIds:
    """``await rows(db, store_id, ids)``: the store's rows among ``ids``, in no particular order; another store's
    ids find nothing."""

    def __init__(
        self,
        columns: Sequence[ColumnElement[Any]],
        store_column: QueryableAttribute[int],
        id_column: QueryableAttribute[int],
    ) -> None:
        self.statement: Select[Any] = select(*columns).where(
            store_column == bindparam("store_id"), id_column.in_(bindparam("ids", expanding=True))
        )

    async def __call__(self, db: Executor, store_id: int, ids: list[int]) -> list[Row[Any]]:
        return list((await db.execute(self.statement, {"store_id": store_id, "ids": ids})).all())

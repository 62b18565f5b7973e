"""Keyset pagination: orderings as data, and the WHERE/ORDER BY they imply. Never OFFSET."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, tuple_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import UnaryExpression

from storegraph.platform.errors import InvalidCursor


@dataclass(frozen=True, slots=True, eq=False)
class Ordering:
    """A sort column with the id as tie-breaker, both in one direction (so one composite index serves it).

    Equal by name (``orders.created_at:desc``): SQLAlchemy columns overload ``==`` to build SQL, so the
    dataclass default would not give a usable equality for DataLoader keys.
    """

    name: str
    column: QueryableAttribute[Any]
    id_column: QueryableAttribute[Any]
    descending: bool
    kind: type  # int or datetime: how a cursor's JSON value is read back

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ordering) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def sort_attr(self) -> str:
        return self.column.key

    def order_by(self) -> tuple[UnaryExpression[Any], UnaryExpression[Any]]:
        if self.descending:
            return self.column.desc(), self.id_column.desc()
        return self.column.asc(), self.id_column.asc()

    def after(self, values: list[Any]) -> ColumnElement[bool]:
        """Rows strictly after the row whose (sort value, id) is ``values``."""
        return self._after(*self.parse(values))

    def after_bound(self) -> ColumnElement[bool]:
        """``after`` with the position as parameters (``after_parameters``), for a statement built once."""
        sort_value = bindparam("after_sort", type_=self.column.type)
        return self._after(sort_value, bindparam("after_id", type_=self.id_column.type))

    def _after(self, sort_value: Any, row_id: Any) -> ColumnElement[bool]:
        row = tuple_(self.column, self.id_column)
        bound = tuple_(sort_value, row_id)
        return row < bound if self.descending else row > bound

    def after_parameters(self, values: list[Any]) -> dict[str, Any]:
        sort_value, row_id = self.parse(values)
        return {"after_sort": sort_value, "after_id": row_id}

    def parse(self, values: list[Any]) -> tuple[Any, int]:
        raw_sort, raw_id = values
        if not isinstance(raw_id, int) or isinstance(raw_id, bool):
            raise InvalidCursor()
        try:
            if self.kind is datetime and isinstance(raw_sort, str):
                return datetime.fromisoformat(raw_sort), raw_id
            if self.kind is int and isinstance(raw_sort, int) and not isinstance(raw_sort, bool):
                return raw_sort, raw_id
        except ValueError:
            pass
        raise InvalidCursor()

    def key_of(self, row: Any) -> tuple[Any, int]:
        return getattr(row, self.sort_attr), row.id


def page_query(stmt: Select[Any], ordering: Ordering, after: list[Any] | None, first: int) -> Select[Any]:
    """``first + 1`` rows in ``ordering`` after the cursor position: the extra row tells if there is more."""
    if after is not None:
        stmt = stmt.where(ordering.after(after))
    return stmt.order_by(*ordering.order_by()).limit(first + 1)

"""Keyset pagination: orderings as data, and the WHERE/ORDER BY they imply. Never OFFSET."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, tuple_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import UnaryExpression

from db.direct_reads import PreparedRead
from storegraph.platform.errors import InvalidCursor


@dataclass(frozen=True, slots=True, eq=False)
class Ordering:
    """A sort column with the id as tie-breaker, both in one direction (so one composite index serves it).

    Equal by name (``orders.created_at:desc``): SQLAlchemy columns overload ``==`` to build SQL, so the
    dataclass default would not give a usable equality for DataLoader keys.

    A ``nullable`` column sorts its nulls as larger than any value (last ascending, first descending), as a
    PostgreSQL index orders them: a plain (store_id, column, id) index then serves both directions on both
    databases (SQLite reads NULLS LAST from its index too).
    """

    name: str
    column: QueryableAttribute[Any]
    id_column: QueryableAttribute[Any]
    descending: bool
    kind: type  # int, str or datetime: how a cursor's JSON value is read back
    nullable: bool = False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ordering) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def sort_attr(self) -> str:
        return self.column.key

    def order_by(self) -> tuple[UnaryExpression[Any], UnaryExpression[Any]]:
        if self.descending:
            first = self.column.desc().nulls_first() if self.nullable else self.column.desc()
            return first, self.id_column.desc()
        last = self.column.asc().nulls_last() if self.nullable else self.column.asc()
        return last, self.id_column.asc()

    def after(self, values: list[Any]) -> ColumnElement[bool]:
        """Rows strictly after the row whose (sort value, id) is ``values``."""
        sort_value, row_id = self.parse(values)
        if sort_value is None:
            # Among the nulls only the id orders; descending, every row with a value comes after them.
            same = and_(self.column.is_(None), self.id_column < row_id if self.descending else self.id_column > row_id)
            return or_(same, self.column.is_not(None)) if self.descending else same
        return self._after(sort_value, row_id)

    def after_bound(self) -> ColumnElement[bool]:
        """``after`` with the position as parameters (``after_parameters``), for a statement built once. Only for a
        column that is never null: a null position needs a condition of its own (``after``)."""
        if self.nullable:
            raise ValueError(f"{self.name} may be null: its position cannot be a parameter")
        sort_value = bindparam("after_sort", type_=self.column.type)
        return self._after(sort_value, bindparam("after_id", type_=self.id_column.type))

    def _after(self, sort_value: Any, row_id: Any) -> ColumnElement[bool]:
        row = tuple_(self.column, self.id_column)
        bound = tuple_(sort_value, row_id)
        if self.descending:
            return row < bound
        return or_(row > bound, self.column.is_(None)) if self.nullable else row > bound

    def after_parameters(self, values: list[Any]) -> dict[str, Any]:
        sort_value, row_id = self.parse(values)
        return {"after_sort": sort_value, "after_id": row_id}

    def parse(self, values: list[Any]) -> tuple[Any, int]:
        raw_sort, raw_id = values
        if not isinstance(raw_id, int) or isinstance(raw_id, bool):
            raise InvalidCursor()
        try:
            if raw_sort is None and self.nullable:
                return None, raw_id
            if self.kind is datetime and isinstance(raw_sort, str):
                return datetime.fromisoformat(raw_sort), raw_id
            if self.kind is str and isinstance(raw_sort, str):
                return raw_sort, raw_id
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


def prepared_page(stmt: Select[Any], ordering: Ordering, has_after: bool) -> PreparedRead:
    """``page_query`` built once: the cursor's position and the page size are parameters (``page_parameters``).
    Only for an ordering whose column is never null (``after_bound``)."""
    if has_after:
        stmt = stmt.where(ordering.after_bound())
    return PreparedRead(stmt.order_by(*ordering.order_by()).limit(bindparam("limit")))


def page_parameters(store_id: int, ordering: Ordering, after: list[Any] | None, first: int) -> dict[str, Any]:
    """The parameters of a ``prepared_page`` of the store (``store_id``): the extra row tells if there is more."""
    parameters: dict[str, Any] = {"store_id": store_id, "limit": first + 1}
    if after is not None:
        parameters.update(ordering.after_parameters(after))
    return parameters

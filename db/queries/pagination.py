"""Keyset pagination: orderings as data, and the WHERE/ORDER BY they imply. Never OFFSET."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, tuple_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import UnaryExpression

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
            return self._after_null(row_id)
        return self._after(sort_value, row_id)

    def after_bound(self, null: bool = False) -> ColumnElement[bool]:
        """``after`` with the position as parameters (``cursor_parameters``), for a statement built once. ``null``:
        the position's sort value is null (a nullable column), which takes a condition of its own."""
        row_id = bindparam("after_id", type_=self.id_column.type)
        if null:
            if not self.nullable:
                raise ValueError(f"{self.name} is never null: no position has a null sort value")
            return self._after_null(row_id)
        return self._after(bindparam("after_sort", type_=self.column.type), row_id)

    def _after_null(self, row_id: Any) -> ColumnElement[bool]:
        # Among the nulls only the id orders; descending, every row with a value comes after them.
        same = and_(self.column.is_(None), self.id_column < row_id if self.descending else self.id_column > row_id)
        return or_(same, self.column.is_not(None)) if self.descending else same

    def _after(self, sort_value: Any, row_id: Any) -> ColumnElement[bool]:
        row = tuple_(self.column, self.id_column)
        bound = tuple_(sort_value, row_id)
        if self.descending:
            return row < bound
        return or_(row > bound, self.column.is_(None)) if self.nullable else row > bound

    def after_parameters(self, values: list[Any]) -> dict[str, Any]:
        """The parameters of ``after_bound()`` (a position whose sort value is not null)."""
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


# How a statement built once takes a cursor's position: none (the first page), after a sort value, or after a
# null sort value (a nullable column's); each is a statement of its own.
Cursor = Literal["value", "null"] | None

# Statements built once per list, per filter shape, ordering and cursor: enough for the shapes a store's clients
# ask for, bounded so that no mix of filters makes the cache grow without end.
PAGE_SHAPES = 512
COUNT_SHAPES = 128


def cursor_parameters(ordering: Ordering, after: list[Any] | None) -> tuple[Cursor, dict[str, Any]]:
    """The statement a cursor's position needs (``page_statement``) and the position's parameters."""
    if after is None:
        return None, {}
    sort_value, row_id = ordering.parse(after)
    if sort_value is None:
        return "null", {"after_id": row_id}
    return "value", {"after_sort": sort_value, "after_id": row_id}


def page_statement(stmt: Select[Any], ordering: Ordering, cursor: Cursor) -> Select[Any]:
    """``page_query`` built once: the cursor's position and the page size (``limit``) are parameters
    (``page_parameters``)."""
    if cursor is not None:
        stmt = stmt.where(ordering.after_bound(null=cursor == "null"))
    return stmt.order_by(*ordering.order_by()).limit(bindparam("limit"))


def page_parameters(ordering: Ordering, after: list[Any] | None, first: int) -> tuple[Cursor, dict[str, Any]]:
    """The statement a page needs and the parameters of its position and size: the extra row tells if there is
    more."""
    cursor, parameters = cursor_parameters(ordering, after)
    parameters["limit"] = first + 1
    return cursor, parameters

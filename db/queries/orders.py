"""Order statements: the API's reads, including the batched per-customer pages that keep nested queries at a
constant query count; the rules' reads and locks (the status machine, the fraud score); the status changes'
writes. Checkout's own statements (its reads, the order and its items) are in db/queries/checkout.py."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import KeyedColumnElement

from db.direct_reads import PreparedRead
from db.direct_writes import PreparedWrite
from db.models import Order, OrderItem, OrderStatusChange
from db.queries.by_ids import InList, RowsByIds, prepared_by_ids, prepared_with_lists
from db.queries.columns import chosen_columns
from db.queries.executor import Executor, WriteTransaction, core_rows, core_write, fetch_rows
from db.queries.pagination import (
    COUNT_SHAPES,
    PAGE_SHAPES,
    Cursor,
    Ordering,
    cursor_parameters,
    page_parameters,
    page_statement,
)

ORDER_COLUMNS = tuple(Order.__table__.c)
ORDER_ITEM_COLUMNS = tuple(OrderItem.__table__.c)
STATUS_CHANGE_COLUMNS = tuple(OrderStatusChange.__table__.c)

ORDER_ORDERINGS: dict[str, tuple[QueryableAttribute[Any], type]] = {
    "created_at": (Order.created_at, datetime),
    "updated_at": (Order.updated_at, datetime),
    "total": (Order.total, int),
}


# Made once per field and direction (a handful): each list request would otherwise build it anew.
@functools.cache
def order_ordering(field: str, descending: bool) -> Ordering:
    column, kind = ORDER_ORDERINGS[field]
    name = f"orders.{field}:{'desc' if descending else 'asc'}"
    return Ordering(name=name, column=column, id_column=Order.id, descending=descending, kind=kind)


NEWEST_FIRST = order_ordering("created_at", descending=True)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: str | None = None
    payment_status: str | None = None
    since: datetime | None = None
    customer_id: int | None = None

    def shape(self) -> OrderShape:
        if self is NO_ORDER_FILTER:
            return _NO_ORDER_SHAPE
        return OrderShape(
            status=self.status is not None,
            payment_status=self.payment_status is not None,
            since=self.since is not None,
            customer_id=self.customer_id is not None,
        )

    def parameters(self, store_id: int) -> dict[str, Any]:
        """The values of the shape's parameters, each named as its field."""
        values = {
            "store_id": store_id,
            "status": self.status,
            "payment_status": self.payment_status,
            "since": self.since,
            "customer_id": self.customer_id,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class OrderShape:
    """Which conditions an ``OrderFilter`` sets: one statement per shape, the filter's values its parameters."""

    status: bool
    payment_status: bool
    since: bool
    customer_id: bool

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.status:
            conditions.append(Order.status == bindparam("status"))
        if self.payment_status:
            conditions.append(Order.payment_status == bindparam("payment_status"))
        if self.since:
            conditions.append(Order.created_at >= bindparam("since"))
        if self.customer_id:
            conditions.append(Order.customer_id == bindparam("customer_id"))
        return conditions


# The filter of a list asked for without one (most are), and its shape made once (by another, equal filter).
NO_ORDER_FILTER = OrderFilter()
_NO_ORDER_SHAPE = OrderFilter().shape()


_IN_STORE = Order.store_id == bindparam("store_id")


async def list_orders(
    db: Executor,
    store_id: int,
    where: OrderFilter,
    ordering: Ordering,
    after: list[Any] | None,
    first: int,
    wanted: frozenset[str] | None = None,
) -> list[Row[Any]]:
    """A page of the store's orders; ``wanted``: the only columns the caller reads (``chosen_columns``)."""
    cursor, parameters = page_parameters(ordering, after, first)
    page = _orders_page(where.shape(), ordering, cursor, wanted)
    return list(await fetch_rows(db, page, where.parameters(store_id) | parameters))


@functools.lru_cache(maxsize=PAGE_SHAPES)
def _orders_page(shape: OrderShape, ordering: Ordering, cursor: Cursor, wanted: frozenset[str] | None) -> PreparedRead:
    # The id and the sort column make the page's cursors.
    columns = chosen_columns(ORDER_COLUMNS, wanted, ("id", ordering.sort_attr))
    return PreparedRead(page_statement(select(*columns).where(_IN_STORE, *shape.conditions()), ordering, cursor))


async def count_orders(db: Executor, store_id: int, where: OrderFilter) -> int:
    rows = await fetch_rows(db, _orders_count(where.shape()), where.parameters(store_id))
    return int(rows[0][0])


@functools.lru_cache(maxsize=COUNT_SHAPES)
def _orders_count(shape: OrderShape) -> PreparedRead:
    return PreparedRead(select(func.count().label("orders")).select_from(Order).where(_IN_STORE, *shape.conditions()))


orders_by_ids = RowsByIds(ORDER_COLUMNS, Order.store_id, Order.id)


async def order_pages_for_customers(
    db: Executor,
    store_id: int,
    customer_ids: list[int],
    where: OrderFilter,
    ordering: Ordering,
    after: list[Any] | None,
    first: int,
    wanted: frozenset[str] | None = None,
) -> dict[int, list[Row[Any]]]:
    """Up to ``first + 1`` orders of each customer in one query (a window per customer), keyed by customer;
    ``wanted``: the only columns the caller reads (``chosen_columns``)."""
    cursor, position = cursor_parameters(ordering, after)
    parameters = where.parameters(store_id) | position
    parameters.update(customer_ids=customer_ids, per_customer=first + 1)
    pages: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in await fetch_rows(db, _order_pages(where.shape(), ordering, cursor, wanted), parameters):
        pages[row.customer_id].append(row)
    return pages


@functools.lru_cache(maxsize=PAGE_SHAPES)
def _order_pages(shape: OrderShape, ordering: Ordering, cursor: Cursor, wanted: frozenset[str] | None) -> PreparedRead:
    # The id and the sort column make the pages' cursors; the customer groups them.
    columns = chosen_columns(ORDER_COLUMNS, wanted, ("id", "customer_id", ordering.sort_attr))
    return prepared_with_lists(lambda in_list: _ranked_order_pages(shape, ordering, cursor, columns, in_list))


def _ranked_order_pages(
    shape: OrderShape,
    ordering: Ordering,
    cursor: Cursor,
    columns: tuple[KeyedColumnElement[Any], ...],
    in_list: InList,
) -> Select[Any]:
    position = func.row_number().over(partition_by=Order.customer_id, order_by=ordering.order_by()).label("position")
    ranked = (
        select(*columns, position)
        .where(
            _IN_STORE,
            in_list(Order.customer_id, "customer_ids"),
            *shape.conditions(),
            *([ordering.after_bound(null=cursor == "null")] if cursor is not None else []),
        )
        .subquery()
    )
    return (
        select(*(ranked.c[column.key] for column in columns))
        .where(ranked.c.position <= bindparam("per_customer"))
        .order_by(ranked.c.customer_id, ranked.c.position)
    )


async def order_counts_for_customers(
    db: Executor, store_id: int, customer_ids: list[int], where: OrderFilter
) -> dict[int, int]:
    parameters = where.parameters(store_id) | {"customer_ids": customer_ids}
    rows = await fetch_rows(db, _order_counts(where.shape()), parameters)
    return {row.customer_id: row.orders for row in rows}


@functools.lru_cache(maxsize=COUNT_SHAPES)
def _order_counts(shape: OrderShape) -> PreparedRead:
    return prepared_with_lists(
        lambda in_list: (
            select(Order.customer_id, func.count().label("orders"))
            .where(_IN_STORE, in_list(Order.customer_id, "customer_ids"), *shape.conditions())
            .group_by(Order.customer_id)
        )
    )


async def items_for_orders(db: Executor, order_ids: list[int]) -> dict[int, list[Row[Any]]]:
    items: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in await fetch_rows(db, _ITEMS_OF_ORDERS, {"ids": order_ids}):
        items[row.order_id].append(row)
    return items


_ITEMS_OF_ORDERS = prepared_by_ids(
    lambda chosen: select(*ORDER_ITEM_COLUMNS).where(chosen).order_by(OrderItem.id), OrderItem.order_id
)


async def status_changes_for_orders(db: Executor, order_ids: list[int]) -> dict[int, list[Row[Any]]]:
    changes: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in await fetch_rows(db, _STATUS_CHANGES_OF_ORDERS, {"ids": order_ids}):
        changes[row.order_id].append(row)
    return changes


_STATUS_CHANGES_OF_ORDERS = prepared_by_ids(
    lambda chosen: (
        select(*STATUS_CHANGE_COLUMNS).where(chosen).order_by(OrderStatusChange.created_at, OrderStatusChange.id)
    ),
    OrderStatusChange.order_id,
)


async def lock_order(session: AsyncSession, store_id: int, order_id: int) -> Order | None:
    # FOR UPDATE serialises concurrent changes of one order on PostgreSQL; SQLite's write lock already does.
    stmt = select(Order).where(Order.id == order_id, Order.store_id == store_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_order_row(session: WriteTransaction, store_id: int, order_id: int) -> Row[Any] | None:
    """The store's order as ``orders_by_ids`` reads it, locked for the rest of the transaction (see ``lock_order``),
    for a write that changes it by statements of its own (``set_order_statuses``)."""
    rows = await core_rows(session, _LOCK_ORDER_ROW, {"store_id": store_id, "order_id": order_id})
    return rows[0] if rows else None


_LOCK_ORDER_ROW = PreparedRead(
    select(*ORDER_COLUMNS)
    .where(Order.id == bindparam("order_id"), Order.store_id == bindparam("store_id"))
    .with_for_update()
)


async def set_order_statuses(
    session: WriteTransaction, order_id: int, *, status: str, payment_status: str, updated_at: datetime
) -> None:
    values = {"order_id": order_id, "status": status, "payment_status": payment_status, "updated_at": updated_at}
    await core_write(session, _SET_ORDER_STATUSES, values)


_SET_ORDER_STATUSES = PreparedWrite(
    update(Order)
    .where(Order.id == bindparam("order_id"))
    .values(status=bindparam("status"), payment_status=bindparam("payment_status"), updated_at=bindparam("updated_at"))
)


async def items_of_order(session: WriteTransaction, order_id: int) -> list[Row[Any]]:
    """The order's items as ``items_for_orders`` reads them (the order's ``items`` field), in the same order."""
    return list(await core_rows(session, _ITEMS_OF_ORDERS, {"ids": [order_id]}))


@dataclass(frozen=True, slots=True)
class OrderTallies:
    with_status: int
    with_payment_status: int
    placed_since: int


async def customer_order_tallies(
    session: WriteTransaction, store_id: int, customer_id: int, *, status: str, payment_status: str, since: datetime
) -> OrderTallies:
    """How many of the customer's orders in the store have ``status``, have ``payment_status``, and were placed
    at or after ``since``, in one query."""
    parameters = {
        "store_id": store_id,
        "customer_id": customer_id,
        "status": status,
        "payment_status": payment_status,
        "since": since,
    }
    (row,) = await core_rows(session, _TALLIES, parameters)  # one row: the sums of no order are 0
    return OrderTallies(with_status=int(row[0]), with_payment_status=int(row[1]), placed_since=int(row[2]))


# Built once: every checkout and status change that refreshes a fraud score runs it.
_TALLIES = PreparedRead(
    select(
        func.coalesce(func.sum(case((Order.status == bindparam("status"), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Order.payment_status == bindparam("payment_status"), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Order.created_at >= bindparam("since"), 1), else_=0)), 0),
    ).where(Order.customer_id == bindparam("customer_id"), Order.store_id == bindparam("store_id"))
)


# Built once, run on the connection: the ORM's unit of work for one row cost several times its statement.
_INSERT_STATUS_CHANGE = PreparedWrite(insert(OrderStatusChange))


async def insert_status_change(
    session: WriteTransaction,
    *,
    order_id: int,
    field: str,
    from_status: str | None,
    to_status: str,
    note: str | None = None,
    actor_key_id: int | None,
    created_at: datetime,
) -> None:
    """Inserts one step of the order's history."""
    values = {
        "order_id": order_id,
        "field": field,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
        "actor_key_id": actor_key_id,
        "created_at": created_at,
    }
    await core_write(session, _INSERT_STATUS_CHANGE, values)

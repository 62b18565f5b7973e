"""Order reads, including the batched per-customer pages that keep nested queries at a constant query count."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import QueryableAttribute

from db.models import Order, OrderItem, OrderStatusChange
from db.queries.executor import Executor
from db.queries.pagination import Ordering, page_query

ORDER_COLUMNS = tuple(Order.__table__.c)
ORDER_ITEM_COLUMNS = tuple(OrderItem.__table__.c)
STATUS_CHANGE_COLUMNS = tuple(OrderStatusChange.__table__.c)

ORDER_ORDERINGS: dict[str, tuple[QueryableAttribute[Any], type]] = {
    "created_at": (Order.created_at, datetime),
    "updated_at": (Order.updated_at, datetime),
    "total": (Order.total, int),
}


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

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.status is not None:
            conditions.append(Order.status == self.status)
        if self.payment_status is not None:
            conditions.append(Order.payment_status == self.payment_status)
        if self.since is not None:
            conditions.append(Order.created_at >= self.since)
        if self.customer_id is not None:
            conditions.append(Order.customer_id == self.customer_id)
        return conditions


async def list_orders(
    db: Executor, store_id: int, where: OrderFilter, ordering: Ordering, after: list[Any] | None, first: int
) -> list[Row[Any]]:
    stmt = select(*ORDER_COLUMNS).where(Order.store_id == store_id, *where.conditions())
    return list((await db.execute(page_query(stmt, ordering, after, first))).all())


async def count_orders(db: Executor, store_id: int, where: OrderFilter) -> int:
    stmt = select(func.count()).select_from(Order).where(Order.store_id == store_id, *where.conditions())
    return int((await db.execute(stmt)).scalar_one())


async def orders_by_ids(db: Executor, store_id: int, ids: list[int]) -> list[Row[Any]]:
    stmt = select(*ORDER_COLUMNS).where(Order.store_id == store_id, Order.id.in_(ids))
    return list((await db.execute(stmt)).all())


async def order_pages_for_customers(
    db: Executor,
    store_id: int,
    customer_ids: list[int],
    where: OrderFilter,
    ordering: Ordering,
    after: list[Any] | None,
    first: int,
) -> dict[int, list[Row[Any]]]:
    """Up to ``first + 1`` orders of each customer in one query (a window per customer), keyed by customer."""
    position = func.row_number().over(partition_by=Order.customer_id, order_by=ordering.order_by()).label("position")
    conditions = [Order.store_id == store_id, Order.customer_id.in_(customer_ids), *where.conditions()]
    if after is not None:
        conditions.append(ordering.after(after))
    ranked = select(*ORDER_COLUMNS, position).where(*conditions).subquery()
    stmt = (
        select(*(ranked.c[column.key] for column in ORDER_COLUMNS))
        .where(ranked.c.position <= first + 1)
        .order_by(ranked.c.customer_id, ranked.c.position)
    )
    pages: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in (await db.execute(stmt)).all():
        pages[row.customer_id].append(row)
    return pages


async def order_counts_for_customers(
    db: Executor, store_id: int, customer_ids: list[int], where: OrderFilter
) -> dict[int, int]:
    stmt = (
        select(Order.customer_id, func.count().label("orders"))
        .where(Order.store_id == store_id, Order.customer_id.in_(customer_ids), *where.conditions())
        .group_by(Order.customer_id)
    )
    return {row.customer_id: row.orders for row in (await db.execute(stmt)).all()}


async def items_for_orders(db: Executor, order_ids: list[int]) -> dict[int, list[Row[Any]]]:
    stmt = select(*ORDER_ITEM_COLUMNS).where(OrderItem.order_id.in_(order_ids)).order_by(OrderItem.id)
    items: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in (await db.execute(stmt)).all():
        items[row.order_id].append(row)
    return items


async def status_changes_for_orders(db: Executor, order_ids: list[int]) -> dict[int, list[Row[Any]]]:
    stmt = (
        select(*STATUS_CHANGE_COLUMNS)
        .where(OrderStatusChange.order_id.in_(order_ids))
        .order_by(OrderStatusChange.created_at, OrderStatusChange.id)
    )
    changes: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in (await db.execute(stmt)).all():
        changes[row.order_id].append(row)
    return changes

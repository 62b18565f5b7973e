"""Per-customer analytics: SQL aggregates over customers' orders, for a whole level of customers at once.

Two statements serve any number of customers with any number of orders, each built once with bound parameters:

- ``ORDERS_BY_STATUS``: one row per (customer, status) with the number of orders, the sum of their totals and
  the first and last order time. What counts (every status but one) is the rule's to say
  (storegraph/rules/customers/analytics.py); a customer has at most one row per status.
- ``TOP_PRODUCTS``: the order lines of the orders that count, grouped per customer and product, ranked by a
  window per customer and cut at the limit.

A product is its ``product_id`` while it exists; once deleted (the line's ``product_id`` set to null) its lines are
grouped by the name they copied. Both statements find orders by ``customer_id`` (its index) and lines by
``order_id``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Integer, Row, Select, bindparam, case, func, select

from db.models import Order, OrderItem
from db.queries.executor import Executor

ORDERS_BY_STATUS = (
    select(
        Order.customer_id,
        Order.status,
        func.count().label("orders"),
        func.sum(Order.total).label("spent"),
        func.min(Order.created_at).label("first_at"),
        func.max(Order.created_at).label("last_at"),
    )
    .where(Order.store_id == bindparam("store_id"), Order.customer_id.in_(bindparam("customer_ids", expanding=True)))
    .group_by(Order.customer_id, Order.status)
)


def _top_products() -> Select[Any]:
    # A deleted product's lines are one product per copied name; a live product's lines are one product whatever
    # names they copied (it may have been renamed since).
    name_key = case((OrderItem.product_id.is_(None), OrderItem.product_name), else_=None)
    grouped = (
        select(
            Order.customer_id,
            OrderItem.product_id,
            func.sum(OrderItem.quantity).label("quantity"),
            func.count(func.distinct(OrderItem.order_id)).label("order_count"),
            func.max(OrderItem.id).label("last_line_id"),
        )
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            Order.store_id == bindparam("store_id"),
            Order.customer_id.in_(bindparam("customer_ids", expanding=True)),
            Order.status != bindparam("uncounted"),
        )
        .group_by(Order.customer_id, OrderItem.product_id, name_key)
        .subquery()
    )
    # Quantity, then the number of orders, then the product bought last (its latest line is the newest): the
    # latest line's id is unique to its group, so the ranking is total and the same on every database.
    position = (
        func.row_number()
        .over(
            partition_by=grouped.c.customer_id,
            order_by=(grouped.c.quantity.desc(), grouped.c.order_count.desc(), grouped.c.last_line_id.desc()),
        )
        .label("position")
    )
    ranked = select(grouped, position).subquery()
    return (
        select(
            ranked.c.customer_id,
            ranked.c.product_id,
            # The name the product's latest line copied: what the customer last saw it called.
            OrderItem.product_name,
            ranked.c.quantity,
            ranked.c.order_count,
        )
        .join(OrderItem, OrderItem.id == ranked.c.last_line_id)
        .where(ranked.c.position <= bindparam("limit", type_=Integer))
        .order_by(ranked.c.customer_id, ranked.c.position)
    )


TOP_PRODUCTS = _top_products()


async def orders_by_status_for_customers(
    db: Executor, store_id: int, customer_ids: list[int]
) -> dict[int, list[Row[Any]]]:
    """Each customer's rows of ``status, orders, spent, first_at, last_at``, one per status it has orders in (a
    customer without orders, or of another store, has none). ``spent`` may be a ``Decimal`` (PostgreSQL sums a
    bigint into a numeric), always whole."""
    by_customer: dict[int, list[Row[Any]]] = defaultdict(list)
    parameters = {"store_id": store_id, "customer_ids": customer_ids}
    for row in (await db.execute(ORDERS_BY_STATUS, parameters)).all():
        by_customer[row.customer_id].append(row)
    return by_customer


async def top_products_for_customers(
    db: Executor, store_id: int, customer_ids: list[int], limit: int, *, uncounted: str
) -> dict[int, list[Row[Any]]]:
    """Up to ``limit`` products of each customer, best first, from its orders whose status is not ``uncounted``:
    rows of ``customer_id, product_id, product_name, quantity, order_count``."""
    parameters = {"store_id": store_id, "customer_ids": customer_ids, "limit": limit, "uncounted": uncounted}
    products: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in (await db.execute(TOP_PRODUCTS, parameters)).all():
        products[row.customer_id].append(row)
    return products

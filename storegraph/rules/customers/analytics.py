"""What a customer's analytics say, from the aggregates of db/queries/analytics.py.

- Every order counts in ``orders_by_status``; a cancelled one counts nowhere else: not in ``total_orders``,
  ``total_spent``, ``average_order``, the first and last order, nor the top products (as ``Customer.totalOrders``
  and ``totalSpent``, which leave cancelled orders out too).
- ``average_order`` is ``total_spent / total_orders`` rounded half up to a whole amount of the currency, computed
  in integers; ``None`` without a counted order, as are ``first_order_at`` and ``last_order_at``; the totals are 0.
- ``orders_by_status`` lists every status once, zeros included, in the order of the status machine (pending,
  confirmed, shipped, delivered, cancelled): a client charts it as is.
- Top products: by quantity, then number of orders, then the one bought last first; ``limit`` 1 to
  ``MAX_TOP_PRODUCTS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storegraph.platform.errors import ValidationFailed
from storegraph.platform.money import rounded_average
from storegraph.rules.statuses import OrderStatus

STATUS_ORDER: tuple[OrderStatus, ...] = (
    OrderStatus.PENDING,
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
)
UNCOUNTED = OrderStatus.CANCELLED
DEFAULT_TOP_PRODUCTS = 5
MAX_TOP_PRODUCTS = 50


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: OrderStatus
    count: int


@dataclass(frozen=True, slots=True)
class CustomerFigures:
    customer_id: int
    total_orders: int
    total_spent: int
    average_order: int | None
    first_order_at: datetime | None
    last_order_at: datetime | None
    orders_by_status: list[StatusCount]


def customer_figures(customer_id: int, by_status: Sequence[Any]) -> CustomerFigures:
    """The figures from the customer's rows of ``status, orders, spent, first_at, last_at``, one per status."""
    counts = {row.status: int(row.orders) for row in by_status}
    counted = [row for row in by_status if row.status != UNCOUNTED]
    total_orders = sum(int(row.orders) for row in counted)
    total_spent = sum(int(row.spent) for row in counted)
    return CustomerFigures(
        customer_id=customer_id,
        total_orders=total_orders,
        total_spent=total_spent,
        average_order=rounded_average(total_spent, total_orders) if total_orders else None,
        first_order_at=min((row.first_at for row in counted), default=None),
        last_order_at=max((row.last_at for row in counted), default=None),
        orders_by_status=[StatusCount(status, counts.get(status, 0)) for status in STATUS_ORDER],
    )


def check_top_products_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_TOP_PRODUCTS:
        raise ValidationFailed.single(
            "limit", "out_of_range", f"limit must be between 1 and {MAX_TOP_PRODUCTS}, got {limit}"
        )
    return limit

"""The order list's filter and sort, and the plain query values they become."""

from __future__ import annotations

import strawberry

from db.queries import orders
from db.queries.pagination import Ordering
from schema.core.enums import OrderSortField, OrderStatus, PaymentStatus, SortDirection
from schema.core.scalars import DateTime
from storegraph.platform.ids import parse_id


@strawberry.input
class OrderFilter:
    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    since: DateTime | None = strawberry.field(default=None, description="Orders created at or after this time.")
    customer_id: strawberry.ID | None = None


@strawberry.input
class OrderSort:
    field: OrderSortField = OrderSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


def order_ordering(sort: OrderSort | None) -> Ordering:
    if sort is None:
        return _DEFAULT_ORDER_ORDERING
    return orders.order_ordering(sort.field.value, descending=sort.direction is SortDirection.DESC)


# A list asked for without a sort (most are) takes its default's ordering, found once.
_DEFAULT_ORDER_ORDERING = order_ordering(OrderSort())


def order_condition(where: OrderFilter | None) -> orders.OrderFilter:
    if where is None:
        return orders.NO_ORDER_FILTER
    return orders.OrderFilter(
        status=where.status.value if where.status is not None else None,
        payment_status=where.payment_status.value if where.payment_status is not None else None,
        since=where.since,
        customer_id=parse_id(where.customer_id, "customerId") if where.customer_id is not None else None,
    )

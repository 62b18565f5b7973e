from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from db.queries.orders import OrderFilter, count_orders, list_orders, order_ordering
from domain.errors import NotFound
from resolvers.ids import parse_id
from resolvers.pagination import check_first, decode_after, make_page
from schema import inputs
from schema.connections import PageSource
from schema.context import Context
from schema.enums import SortDirection

ORDERS_LIST = "orders"


def order_filter_from(where: inputs.OrderFilter | None) -> OrderFilter:
    if where is None:
        return OrderFilter()
    return OrderFilter(
        status=where.status.value if where.status is not None else None,
        payment_status=where.payment_status.value if where.payment_status is not None else None,
        since=where.since,
        customer_id=parse_id(where.customer_id, "customerId") if where.customer_id is not None else None,
    )


async def orders_page(
    context: Context,
    first: int,
    after: str | None,
    where: inputs.OrderFilter | None,
    sort: inputs.OrderSort | None,
) -> PageSource:
    check_first(first)
    sort = sort or inputs.OrderSort()
    ordering = order_ordering(sort.field.value, descending=sort.direction is SortDirection.DESC)
    position = decode_after(context, ORDERS_LIST, ordering, after)
    condition = order_filter_from(where)
    rows = await list_orders(context.db, context.store_id, condition, ordering, position, first)
    return make_page(
        context,
        ORDERS_LIST,
        ordering,
        rows,
        first,
        position,
        lambda: count_orders(context.db, context.store_id, condition),
    )


async def get_order(context: Context, raw_id: str) -> Row[Any]:
    order_id = parse_id(raw_id)
    row = await context.loaders.order_by_id.load(order_id)
    if row is None:
        raise NotFound("Order", order_id)
    return row

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from db.queries.customers import CustomerFilter, count_customers, customer_ordering, list_customers
from db.queries.orders import NEWEST_FIRST
from db.queries.pagination import Ordering
from domain.errors import NotFound
from domain.phones import normalize_phone
from resolvers.filters import filter_text
from resolvers.ids import parse_id
from resolvers.loaders import OrderCountKey, OrderPageKey
from resolvers.orders import order_filter_from
from resolvers.pagination import check_first, decode_after, make_page
from schema import inputs
from schema.connections import PageSource
from schema.context import Context
from schema.enums import SortDirection

CUSTOMERS_LIST = "customers"
ORDERS_LIST = "orders"


async def get_customer(context: Context, raw_id: str) -> Row[Any]:
    customer_id = parse_id(raw_id)
    row = await context.loaders.customer_by_id.load(customer_id)
    if row is None:
        raise NotFound("Customer", customer_id)
    return row


async def customers_page(
    context: Context,
    first: int,
    after: str | None,
    where: inputs.CustomerFilter | None,
    sort: inputs.CustomerSort | None,
) -> PageSource:
    check_first(first)
    ordering = _customer_ordering(sort)
    position = decode_after(context, CUSTOMERS_LIST, ordering, after)
    condition = _customer_filter(context, where)
    rows = await list_customers(context.db, context.store_id, condition, ordering, position, first)
    return make_page(
        context,
        CUSTOMERS_LIST,
        ordering,
        rows,
        first,
        position,
        lambda: count_customers(context.db, context.store_id, condition),
    )


async def customer_orders_page(
    context: Context, customer_id: int, first: int, after: str | None, where: inputs.OrderFilter | None
) -> PageSource:
    """A customer's orders, newest first, batched across all customers of the page by a DataLoader."""
    check_first(first)
    position = decode_after(context, ORDERS_LIST, NEWEST_FIRST, after)
    condition = order_filter_from(where)
    key = OrderPageKey(
        customer_id=customer_id,
        where=condition,
        ordering=NEWEST_FIRST,
        after=tuple(position) if position else None,
        first=first,
    )
    rows = await context.loaders.order_page_by_customer.load(key)
    count_key = OrderCountKey(customer_id=customer_id, where=condition)
    return make_page(
        context,
        ORDERS_LIST,
        NEWEST_FIRST,
        rows,
        first,
        position,
        lambda: context.loaders.order_count_by_customer.load(count_key),
    )


def _customer_ordering(sort: inputs.CustomerSort | None) -> Ordering:
    sort = sort or inputs.CustomerSort()
    return customer_ordering(sort.field.value, descending=sort.direction is SortDirection.DESC)


def _customer_filter(context: Context, where: inputs.CustomerFilter | None) -> CustomerFilter:
    if where is None:
        return CustomerFilter()
    phone = filter_text("filter.phone", where.phone)
    if phone is not None:
        # An unparseable phone cannot match a stored (normalised) one; keep it so the filter finds nothing.
        phone = normalize_phone(phone, context.principal.phone_region) or phone
    return CustomerFilter(
        phone=phone,
        email=filter_text("filter.email", where.email),
        search=filter_text("filter.search", where.search),
        is_banned=where.is_banned,
    )

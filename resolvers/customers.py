from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.queries.customer_tags import store_tag_counts, tags_for_customers
from db.queries.customers import CustomerFilter, count_customers, customers_by_ids, list_customers
from db.queries.executor import Executor
from db.queries.orders import NEWEST_FIRST, OrderFilter, order_pages_for_customers
from db.queries.pagination import Ordering
from resolvers.core.context import Context
from resolvers.core.loaders import by_id, load_at_once
from resolvers.core.pages import PageSource
from resolvers.core.pagination import check_first, cursor_maker, decode_after, make_page
from resolvers.orders import (
    ORDER_TYPE,
    OrderCountByCustomerLoader,
    OrderCountKey,
    OrderPageByCustomerLoader,
    OrderPageKey,
)
from storegraph.platform.errors import NotFound
from storegraph.platform.ids import parse_id
from storegraph.platform.phones import calling_code

CUSTOMERS_LIST = "customers"
ORDERS_LIST = "orders"
# The object types of the rows loaded here, as a compiled plan names them in ``Context.wanted``.
CUSTOMER_TYPE = "Customer"


async def get_customer(context: Context, raw_id: str, *, at_once: bool = False) -> Row[Any]:
    """``at_once``: loaded without waiting for other loads to batch with (``load_at_once``)."""
    customer_id = parse_id(raw_id)
    loader = customers_by_id(context)
    row = await (load_at_once(loader, customer_id) if at_once else loader.load(customer_id))
    if row is None:
        raise NotFound("Customer", customer_id)
    return row


async def customers_page(
    context: Context,
    first: int,
    after: str | None,
    condition: CustomerFilter,
    ordering: Ordering,
) -> PageSource:
    check_first(first)
    position = decode_after(context, CUSTOMERS_LIST, ordering, after)
    wanted = context.wanted.get(CUSTOMER_TYPE)
    rows = await list_customers(context.db, context.store_id, condition, ordering, position, first, wanted)
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
    context: Context, customer_id: int, first: int, after: str | None, condition: OrderFilter
) -> PageSource:
    """A customer's orders, newest first, batched across all customers of the page by a DataLoader."""
    check_first(first)
    position = decode_after(context, ORDERS_LIST, NEWEST_FIRST, after)
    key = OrderPageKey(
        customer_id=customer_id,
        where=condition,
        ordering=NEWEST_FIRST,
        after=tuple(position) if position else None,
        first=first,
    )
    rows = await context.loaders.get(OrderPageByCustomerLoader).load(key)
    count_key = OrderCountKey(customer_id=customer_id, where=condition)
    return make_page(
        context,
        ORDERS_LIST,
        NEWEST_FIRST,
        rows,
        first,
        position,
        lambda: context.loaders.get(OrderCountByCustomerLoader).load(count_key),
    )


async def customers_orders_pages(
    context: Context, customer_ids: Sequence[int], first: int, after: str | None, condition: OrderFilter
) -> list[PageSource]:
    """``customer_orders_page`` for many customers at once, in the one statement its DataLoader would batch them
    into: for a caller that already holds the whole level of customers."""
    check_first(first)
    position = decode_after(context, ORDERS_LIST, NEWEST_FIRST, after)
    ids = list(customer_ids)
    wanted = context.wanted.get(ORDER_TYPE)
    pages = await order_pages_for_customers(
        context.db, context.store_id, ids, condition, NEWEST_FIRST, position, first, wanted
    )
    # One cursor maker for the whole level: every page is of the same list, ordering and store.
    cursors = cursor_maker(context, ORDERS_LIST, NEWEST_FIRST)
    has_previous = position is not None
    return [
        PageSource(
            pages.get(customer_id, []),
            first,
            cursors,
            _order_count(context, customer_id, condition),
            has_previous=has_previous,
        )
        for customer_id in customer_ids
    ]


def _order_count(context: Context, customer_id: int, condition: OrderFilter) -> Callable[[], Awaitable[int]]:
    """The count of a customer's orders, its key made only when ``totalCount`` is asked."""
    return lambda: context.loaders.get(OrderCountByCustomerLoader).load(
        OrderCountKey(customer_id=customer_id, where=condition)
    )


class CustomerByIdLoader(DataLoader[int, Row[Any] | None]):
    """Whole rows (the table's columns, never ``tags``), or with ``columns`` only those (``customers_by_ids``)."""

    def __init__(self, db: Executor, store_id: int, columns: frozenset[str] | None = None) -> None:
        async def load(ids: list[int]) -> list[Row[Any] | None]:
            return by_id(await customers_by_ids(db, store_id, ids, columns), ids)

        super().__init__(load_fn=load)


def customers_by_id(context: Context) -> DataLoader[int, Row[Any] | None]:
    """The request's loader of customers by id: of the columns a running compiled plan reads of customers
    (``Context.wanted``), else of whole rows (``CustomerByIdLoader``). One loader per choice of columns, so a row
    it holds always has the columns its callers read, whichever way runs."""
    return context.loaders.get(_loader_of(context.wanted.get(CUSTOMER_TYPE)))


# Kept, so that a choice of columns is the same loader for the request's ``Loaders`` every time it is asked for.
@functools.lru_cache(maxsize=64)
def _loader_of(columns: frozenset[str] | None) -> Callable[[Executor, int], CustomerByIdLoader]:
    if columns is None:
        return CustomerByIdLoader
    return functools.partial(CustomerByIdLoader, columns=columns)


class TagsByCustomerLoader(DataLoader[int, list[str]]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(customer_ids: list[int]) -> list[list[str]]:
            tags = await tags_for_customers(db, store_id, customer_ids)
            return [tags.get(customer_id, []) for customer_id in customer_ids]

        super().__init__(load_fn=load)


async def tags_of_customers(context: Context, customer_ids: Sequence[int]) -> list[list[str]]:
    """The tags of many customers in the one statement ``TagsByCustomerLoader`` would batch them into."""
    tags = await tags_for_customers(context.db, context.store_id, list(dict.fromkeys(customer_ids)))
    return [tags.get(customer_id, []) for customer_id in customer_ids]


async def tags_of_rows(context: Context, customers: Sequence[Any]) -> list[list[str]]:
    """The tags of many customers: read off their rows where those were loaded with them (``tags``, a column a
    compiled plan asks for), the others' in one statement (``tags_of_customers``)."""
    held = [_loaded_tags(customer) for customer in customers]
    missing = [int(customer.id) for customer, tags in zip(customers, held, strict=True) if tags is None]
    loaded = iter(await tags_of_customers(context, missing) if missing else ())
    return [next(loaded) if tags is None else tags for tags in held]


def _loaded_tags(customer: Any) -> list[str] | None:
    # A row (SQLAlchemy's or the driver's) names its columns in ``_fields``; an entity, or a row read without the
    # column, has no ``tags`` there.
    fields = getattr(customer, "_fields", ())
    return customer.tags if "tags" in fields else None


def dial_code(context: Context, phone: str) -> int | None:
    """The calling code of a phone as the store's region stored it (national digits of the region, else E.164)."""
    return calling_code(phone, context.principal.phone_region)


async def customer_tags(context: Context) -> list[Row[Any]]:
    return await store_tag_counts(context.db, context.store_id)

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.queries.executor import Executor
from db.queries.orders import (
    OrderFilter,
    count_orders,
    items_for_orders,
    list_orders,
    order_counts_for_customers,
    order_pages_for_customers,
    orders_by_ids,
    status_changes_for_orders,
)
from db.queries.pagination import Ordering
from resolvers.core.context import Context
from resolvers.core.loaders import by_id, load_at_once
from resolvers.core.pages import PageSource
from resolvers.core.pagination import check_first, decode_after, make_page
from storegraph.platform.errors import NotFound
from storegraph.platform.ids import parse_id

ORDERS_LIST = "orders"
# The object type of the order rows loaded here, as a compiled plan names it in ``Context.wanted``.
ORDER_TYPE = "Order"


async def orders_page(
    context: Context,
    first: int,
    after: str | None,
    condition: OrderFilter,
    ordering: Ordering,
) -> PageSource:
    check_first(first)
    position = decode_after(context, ORDERS_LIST, ordering, after)
    rows = await list_orders(
        context.db, context.store_id, condition, ordering, position, first, context.wanted.get(ORDER_TYPE)
    )
    return make_page(
        context,
        ORDERS_LIST,
        ordering,
        rows,
        first,
        position,
        lambda: count_orders(context.db, context.store_id, condition),
    )


async def get_order(context: Context, raw_id: str, *, at_once: bool = False) -> Row[Any]:
    """``at_once``: loaded without waiting for other loads to batch with (``load_at_once``)."""
    order_id = parse_id(raw_id)
    loader = context.loaders.get(OrderByIdLoader)
    row = await (load_at_once(loader, order_id) if at_once else loader.load(order_id))
    if row is None:
        raise NotFound("Order", order_id)
    return row


@dataclass(frozen=True, slots=True)
class OrderPageKey:
    """One customer's page of orders; keys that differ only in ``customer_id`` share one query."""

    customer_id: int
    where: OrderFilter
    ordering: Ordering
    after: tuple[Any, ...] | None
    first: int


@dataclass(frozen=True, slots=True)
class OrderCountKey:
    customer_id: int
    where: OrderFilter


class OrderByIdLoader(DataLoader[int, Row[Any] | None]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(ids: list[int]) -> list[Row[Any] | None]:
            return by_id(await orders_by_ids(db, store_id, ids), ids)

        super().__init__(load_fn=load)


class OrderItemsByOrderLoader(DataLoader[int, list[Row[Any]]]):
    """Items of orders the caller already holds (so already checked to be of its store)."""

    def __init__(self, db: Executor, _store_id: int) -> None:
        async def load(order_ids: list[int]) -> list[list[Row[Any]]]:
            items = await items_for_orders(db, order_ids)
            return [items.get(order_id, []) for order_id in order_ids]

        super().__init__(load_fn=load)


class StatusChangesByOrderLoader(DataLoader[int, list[Row[Any]]]):
    def __init__(self, db: Executor, _store_id: int) -> None:
        async def load(order_ids: list[int]) -> list[list[Row[Any]]]:
            changes = await status_changes_for_orders(db, order_ids)
            return [changes.get(order_id, []) for order_id in order_ids]

        super().__init__(load_fn=load)


class OrderPageByCustomerLoader(DataLoader[OrderPageKey, list[Row[Any]]]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(keys: list[OrderPageKey]) -> list[list[Row[Any]]]:
            groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
            for key in keys:
                groups[(key.where, key.ordering, key.after, key.first)].append(key.customer_id)
            pages: dict[tuple[Any, ...], dict[int, list[Row[Any]]]] = {}
            for (where, ordering, after, first), customer_ids in groups.items():
                pages[(where, ordering, after, first)] = await order_pages_for_customers(
                    db, store_id, customer_ids, where, ordering, list(after) if after else None, first
                )
            return [pages[(key.where, key.ordering, key.after, key.first)].get(key.customer_id, []) for key in keys]

        super().__init__(load_fn=load)


class OrderCountByCustomerLoader(DataLoader[OrderCountKey, int]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(keys: list[OrderCountKey]) -> list[int]:
            groups: dict[OrderFilter, list[int]] = defaultdict(list)
            for key in keys:
                groups[key.where].append(key.customer_id)
            counts = {
                where: await order_counts_for_customers(db, store_id, customer_ids, where)
                for where, customer_ids in groups.items()
            }
            return [counts[key.where].get(key.customer_id, 0) for key in keys]

        super().__init__(load_fn=load)

"""DataLoaders, one per relation, created per request. Each batches a tick's keys into one SQL statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.queries.customers import customers_by_ids
from db.queries.executor import Executor
from db.queries.orders import (
    OrderFilter,
    items_for_orders,
    order_counts_for_customers,
    order_pages_for_customers,
    orders_by_ids,
    status_changes_for_orders,
)
from db.queries.pagination import Ordering
from db.queries.products import products_by_ids


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


def _by_id(rows: Sequence[Row[Any]], ids: Sequence[int]) -> list[Row[Any] | None]:
    found = {row.id: row for row in rows}
    return [found.get(row_id) for row_id in ids]


class CustomerByIdLoader(DataLoader[int, Row[Any] | None]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(ids: list[int]) -> list[Row[Any] | None]:
            return _by_id(await customers_by_ids(db, store_id, ids), ids)

        super().__init__(load_fn=load)


class OrderByIdLoader(DataLoader[int, Row[Any] | None]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(ids: list[int]) -> list[Row[Any] | None]:
            return _by_id(await orders_by_ids(db, store_id, ids), ids)

        super().__init__(load_fn=load)


class ProductByIdLoader(DataLoader[int, Row[Any] | None]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(ids: list[int]) -> list[Row[Any] | None]:
            return _by_id(await products_by_ids(db, store_id, ids), ids)

        super().__init__(load_fn=load)


class OrderItemsByOrderLoader(DataLoader[int, list[Row[Any]]]):
    """Items of orders the caller already holds (so already checked to be of its store)."""

    def __init__(self, db: Executor) -> None:
        async def load(order_ids: list[int]) -> list[list[Row[Any]]]:
            items = await items_for_orders(db, order_ids)
            return [items.get(order_id, []) for order_id in order_ids]

        super().__init__(load_fn=load)


class StatusChangesByOrderLoader(DataLoader[int, list[Row[Any]]]):
    def __init__(self, db: Executor) -> None:
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


class Loaders:
    """The request's loaders, each built on first use (most queries touch only a few of them)."""

    _customer_by_id: CustomerByIdLoader | None
    _order_by_id: OrderByIdLoader | None
    _product_by_id: ProductByIdLoader | None
    _order_items_by_order: OrderItemsByOrderLoader | None
    _status_changes_by_order: StatusChangesByOrderLoader | None
    _order_page_by_customer: OrderPageByCustomerLoader | None
    _order_count_by_customer: OrderCountByCustomerLoader | None

    def __init__(self, db: Executor, store_id: int) -> None:
        self._db = db
        self._store_id = store_id
        self.clear()

    def clear(self) -> None:
        """Forgets everything loaded so far: a mutation just changed rows that earlier fields may have cached."""
        self._customer_by_id = None
        self._order_by_id = None
        self._product_by_id = None
        self._order_items_by_order = None
        self._status_changes_by_order = None
        self._order_page_by_customer = None
        self._order_count_by_customer = None

    @property
    def customer_by_id(self) -> CustomerByIdLoader:
        if self._customer_by_id is None:
            self._customer_by_id = CustomerByIdLoader(self._db, self._store_id)
        return self._customer_by_id

    @property
    def order_by_id(self) -> OrderByIdLoader:
        if self._order_by_id is None:
            self._order_by_id = OrderByIdLoader(self._db, self._store_id)
        return self._order_by_id

    @property
    def product_by_id(self) -> ProductByIdLoader:
        if self._product_by_id is None:
            self._product_by_id = ProductByIdLoader(self._db, self._store_id)
        return self._product_by_id

    @property
    def order_items_by_order(self) -> OrderItemsByOrderLoader:
        if self._order_items_by_order is None:
            self._order_items_by_order = OrderItemsByOrderLoader(self._db)
        return self._order_items_by_order

    @property
    def status_changes_by_order(self) -> StatusChangesByOrderLoader:
        if self._status_changes_by_order is None:
            self._status_changes_by_order = StatusChangesByOrderLoader(self._db)
        return self._status_changes_by_order

    @property
    def order_page_by_customer(self) -> OrderPageByCustomerLoader:
        if self._order_page_by_customer is None:
            self._order_page_by_customer = OrderPageByCustomerLoader(self._db, self._store_id)
        return self._order_page_by_customer

    @property
    def order_count_by_customer(self) -> OrderCountByCustomerLoader:
        if self._order_count_by_customer is None:
            self._order_count_by_customer = OrderCountByCustomerLoader(self._db, self._store_id)
        return self._order_count_by_customer

"""A customer's analytics (``Customer.analytics``): its figures and its top products, each batched across every
customer of the request into one statement by a DataLoader (the compiled path loads a whole level through the
same loaders, so both ways cost the same statements)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.queries.analytics import orders_by_status_for_customers, top_products_for_customers
from db.queries.executor import Executor
from resolvers.core.context import Context
from storegraph.rules.customers.analytics import (
    DEFAULT_TOP_PRODUCTS,
    UNCOUNTED,
    CustomerFigures,
    check_top_products_limit,
    customer_figures,
)


async def customers_analytics(context: Context, customer_ids: Sequence[int]) -> list[CustomerFigures]:
    """The figures of customers the caller already holds (so already checked to be of its store)."""
    return await context.loaders.get(AnalyticsByCustomerLoader).load_many(list(customer_ids))


async def customers_top_products(
    context: Context, customer_ids: Sequence[int], limit: int | None
) -> list[list[Row[Any]]]:
    limit = DEFAULT_TOP_PRODUCTS if limit is None else check_top_products_limit(limit)
    keys = [(customer_id, limit) for customer_id in customer_ids]
    return await context.loaders.get(TopProductsByCustomerLoader).load_many(keys)


class AnalyticsByCustomerLoader(DataLoader[int, CustomerFigures]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(customer_ids: list[int]) -> list[CustomerFigures]:
            rows = await orders_by_status_for_customers(db, store_id, customer_ids)
            return [customer_figures(customer_id, rows.get(customer_id, [])) for customer_id in customer_ids]

        super().__init__(load_fn=load)


class TopProductsByCustomerLoader(DataLoader[tuple[int, int], list[Row[Any]]]):
    """Keys ``(customer_id, limit)``: one statement per limit asked for in the request."""

    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(keys: list[tuple[int, int]]) -> list[list[Row[Any]]]:
            by_limit: dict[int, list[int]] = defaultdict(list)
            for customer_id, limit in keys:
                by_limit[limit].append(customer_id)
            found = {
                limit: await top_products_for_customers(db, store_id, customer_ids, limit, uncounted=UNCOUNTED)
                for limit, customer_ids in by_limit.items()
            }
            return [found[limit].get(customer_id, []) for customer_id, limit in keys]

        super().__init__(load_fn=load)

"""The customer reads behind the schema's fields: each root field's body, and the batched loads compiled
execution (schema/core/compiled/) uses for a whole level of parents, answering exactly what the fields do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.customers import customers_orders_pages, customers_page, get_customer
from schema.core.compiled.plan import BatchedField, root_field
from schema.customers import analytics
from schema.customers.inputs import CustomerFilter, CustomerSort, customer_condition, customer_ordering
from schema.orders.inputs import OrderFilter, order_condition


async def customers(
    context: Context,
    first: int = 50,
    after: str | None = None,
    filter: CustomerFilter | None = None,
    sort: CustomerSort | None = None,
) -> PageSource:
    condition = customer_condition(filter, context.principal.phone_region)
    return await customers_page(context, first, after, condition, customer_ordering(sort))


async def customer(context: Context, id: str) -> Row[Any]:
    return await get_customer(context, id)


async def orders_of_customers(context: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[PageSource]:
    """``Customer.orders`` for every customer of a level, in one statement."""
    first: int = arguments.get("first", 50)
    after: str | None = arguments.get("after")
    filter: OrderFilter | None = arguments.get("filter")
    ids = [int(parent.id) for parent in parents]
    return await customers_orders_pages(context, ids, first, after, order_condition(filter))


BATCHED: dict[str, BatchedField] = {
    # Each selection of the list runs its own statement; customers by id are batched by a DataLoader.
    "Query.customers": root_field(customers, across_fields=False),
    "Query.customer": root_field(customer, across_fields=True),
    "Customer.orders": BatchedField(orders_of_customers),
    **analytics.BATCHED,
}

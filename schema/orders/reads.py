"""The order reads behind the schema's fields: each root field's body, and the batched loads compiled execution
(schema/core/compiled/) uses for a whole level of parents, answering exactly what the fields do."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from sqlalchemy import Row

from db.queries.orders import items_for_orders, status_changes_for_orders
from resolvers.catalog import ProductByIdLoader
from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.customers import customers_by_id
from resolvers.orders import OrderItemsByOrderLoader, get_order, orders_page
from schema.core.compiled.plan import BY_PARENT_ID, BatchedField, loaded_by_id, loaded_by_id_with, root_field
from schema.orders.inputs import OrderFilter, OrderSort, order_condition, order_ordering


async def orders(
    context: Context,
    first: int = 50,
    after: str | None = None,
    filter: OrderFilter | None = None,
    sort: OrderSort | None = None,
) -> PageSource:
    return await orders_page(context, first, after, order_condition(filter), order_ordering(sort))


async def order(context: Context, id: str, *, at_once: bool = False) -> Row[Any]:
    return await get_order(context, id, at_once=at_once)


async def items_of_orders(context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[Any]:
    """``Order.items`` for every order of a level, in the one statement its DataLoader batches them into; none
    when the request's loader already holds them all (a mutation primed it with the items it read)."""
    ids = [int(parent.id) for parent in parents]
    primed = context.loaders.primed(OrderItemsByOrderLoader, ids)
    if primed is not None:
        return primed
    items = await items_for_orders(context.db, list(dict.fromkeys(ids)))
    return [items.get(order_id, []) for order_id in ids]


async def status_history_of_orders(context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[Any]:
    """``Order.statusHistory`` for every order of a level, in one statement, as its DataLoader batches it."""
    ids = [int(parent.id) for parent in parents]
    changes = await status_changes_for_orders(context.db, list(dict.fromkeys(ids)))
    return [changes.get(order_id, []) for order_id in ids]


BATCHED: dict[str, BatchedField] = {
    # Each selection of the list runs its own statement; orders by id are batched by a DataLoader.
    "Query.orders": root_field(orders, across_fields=False),
    "Query.order": root_field(partial(order, at_once=True), across_fields=True),
    "Order.items": BatchedField(items_of_orders, reads=BY_PARENT_ID),
    "Order.statusHistory": BatchedField(status_history_of_orders, reads=BY_PARENT_ID),
    # Through the request's loaders by id, which the root fields share: what one has loaded, the other finds
    # cached, as in the standard way.
    "Order.customer": loaded_by_id_with(customers_by_id, "customer_id"),
    "OrderItem.product": loaded_by_id(ProductByIdLoader, "product_id"),
}

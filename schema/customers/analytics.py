"""``Customer.analytics``: a customer's figures from SQL aggregates over its orders (docs/crm.md, "Analytics"), and
the batched loads that keep it on the compiled path, a whole level of customers in one statement per aggregate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry

from resolvers.analytics import customers_analytics, customers_top_products
from resolvers.catalog import ProductByIdLoader
from resolvers.core.context import Context, Info
from schema.core.compiled.plan import BY_PARENT_ID, BatchedField, loaded_by_id
from schema.core.enums import OrderStatus
from schema.core.scalars import DateTime, Money
from storegraph.rules.customers.analytics import DEFAULT_TOP_PRODUCTS, MAX_TOP_PRODUCTS

if TYPE_CHECKING:
    from schema.catalog.types import Product


@strawberry.type(description="How many of a customer's orders have one status.")
class OrderStatusCount:
    status: OrderStatus
    count: int


@strawberry.type(description="A product a customer bought, over its orders that are not cancelled.")
class CustomerTopProduct:
    product_id: strawberry.ID | None = strawberry.field(description="Null once the product has been deleted.")
    product_name: str = strawberry.field(
        description="The name its latest order line copied; it stays after the product is deleted."
    )
    quantity: int = strawberry.field(description="Units bought.")
    order_count: int = strawberry.field(description="Orders it was in.")

    @strawberry.field(description="The product now, or null once it has been deleted.")
    async def product(self, info: Info) -> Annotated[Product, strawberry.lazy("schema.catalog.types")] | None:
        if self.product_id is None:
            return None
        return cast("Product | None", await info.context.loaders.get(ProductByIdLoader).load(int(self.product_id)))


@strawberry.type(
    description="A customer's figures, computed from its orders when asked. Cancelled orders count in "
    "`ordersByStatus` only."
)
class CustomerAnalytics:
    customer_id: strawberry.Private[int]
    total_orders: int = strawberry.field(description="Orders that are not cancelled.")
    total_spent: Money = strawberry.field(description="Sum of the totals of orders that are not cancelled.")
    average_order: Money | None = strawberry.field(
        description="`totalSpent / totalOrders` rounded half up to a whole amount; null without orders."
    )
    first_order_at: DateTime | None = strawberry.field(description="The first order that is not cancelled.")
    last_order_at: DateTime | None = strawberry.field(description="The last order that is not cancelled.")
    orders_by_status: list[OrderStatusCount] = strawberry.field(
        description="Every status once, zeros included, in the order of the status machine: PENDING, CONFIRMED, "
        "SHIPPED, DELIVERED, CANCELLED."
    )

    @strawberry.field(
        description="Products by units bought, then by orders, then the one bought last first; cancelled orders "
        "left out."
    )
    async def top_products(
        self,
        info: Info,
        limit: Annotated[
            int | None, strawberry.argument(description=f"1–{MAX_TOP_PRODUCTS}; null is the default.")
        ] = DEFAULT_TOP_PRODUCTS,
    ) -> list[CustomerTopProduct]:
        [products] = await customers_top_products(info.context, [self.customer_id], limit)
        return cast("list[CustomerTopProduct]", products)


async def analytics_of_customers(context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[Any]:
    """``Customer.analytics`` for every customer of a level, through the loader its resolver uses."""
    return list(await customers_analytics(context, [int(parent.id) for parent in parents]))


async def top_products_of_analytics(context: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[Any]:
    """``CustomerAnalytics.topProducts`` for every customer of a level, in one statement per limit."""
    limit: int | None = arguments.get("limit", DEFAULT_TOP_PRODUCTS)
    return list(await customers_top_products(context, [parent.customer_id for parent in parents], limit))


BATCHED: dict[str, BatchedField] = {
    "Customer.analytics": BatchedField(analytics_of_customers, reads=BY_PARENT_ID),
    "CustomerAnalytics.topProducts": BatchedField(top_products_of_analytics),
    "CustomerTopProduct.product": loaded_by_id(ProductByIdLoader, "product_id"),
}

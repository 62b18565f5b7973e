from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from resolvers.core.context import Info
from resolvers.customers import customer_orders_page
from resolvers.reviews import customer_reviews_page
from schema.core.connections import Connection
from schema.core.scalars import DateTime, Money
from schema.orders.inputs import OrderFilter, order_condition

if TYPE_CHECKING:
    from schema.orders.types import Order
    from schema.reviews.types import Review


@strawberry.type(description="A buyer of one store, created at their first checkout and deduplicated by phone.")
class Customer:
    id: strawberry.ID
    first_name: str
    last_name: str
    phone: str = strawberry.field(description="Normalised: national digits for the store's region, else E.164.")
    email: str | None
    wilaya_id: int | None = strawberry.field(description="Algerian wilaya, 1–58.")
    commune: str | None
    address: str | None
    notes: str | None = strawberry.field(description="Merchant-private comment.")
    total_orders: int = strawberry.field(description="Orders that are not cancelled.")
    total_spent: Money = strawberry.field(description="Sum of the totals of orders that are not cancelled, in DZD.")
    last_order_at: DateTime | None
    fraud_score: int = strawberry.field(description="0–100, high is suspect.")
    is_banned: bool = strawberry.field(description="A banned customer's new orders are refused.")
    ban_reason: str | None = strawberry.field(description="Merchant-private reason given for the ban.")
    banned_at: DateTime | None
    created_at: DateTime
    updated_at: DateTime

    @strawberry.field(description="The customer's orders, newest first.")
    async def orders(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: OrderFilter | None = None,
    ) -> Connection[Annotated[Order, strawberry.lazy("schema.orders.types")]] | None:
        page = await customer_orders_page(info.context, int(self.id), first, after, order_condition(filter))
        return cast("Connection[Order]", page)

    @strawberry.field(description="The customer's reviews, newest first.")
    async def reviews(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[Annotated[Review, strawberry.lazy("schema.reviews.types")]] | None:
        page = await customer_reviews_page(info.context, int(self.id), first, after)
        return cast("Connection[Review]", page)


__all__ = ["Customer"]

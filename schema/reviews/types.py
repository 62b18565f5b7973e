from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry

from resolvers.core.context import Info
from resolvers.customers import CustomerByIdLoader
from resolvers.orders import OrderByIdLoader
from schema.core.scalars import DateTime

if TYPE_CHECKING:
    from schema.customers.types import Customer
    from schema.orders.types import Order


@strawberry.type(description="The merchant's answer to a review; answering again replaces it.")
class ReviewResponse:
    text: str
    responded_at: DateTime
    responded_by: strawberry.ID | None = strawberry.field(description="The API key that wrote the response.")


def response_of(review: Any) -> ReviewResponse | None:
    """The response columns of a review row as its ``response`` object; null when it has none."""
    if review.response_text is None:
        return None
    return ReviewResponse(text=review.response_text, responded_at=review.responded_at, responded_by=review.responded_by)


@strawberry.type(description="A customer's review of a delivered order: one per order, moderated by the merchant.")
class Review:
    id: strawberry.ID
    order_id: strawberry.ID
    customer_id: strawberry.ID | None = strawberry.field(description="The order's customer.")
    rating: int = strawberry.field(description="1–5.")
    product_rating: int | None = strawberry.field(description="1–5.")
    delivery_rating: int | None = strawberry.field(description="1–5.")
    packaging_rating: int | None = strawberry.field(description="1–5.")
    comment: str | None = strawberry.field(description="At most 2,000 characters.")
    is_approved: bool = strawberry.field(description="New reviews are not approved until the merchant says so.")
    is_public: bool
    is_featured: bool
    created_at: DateTime
    updated_at: DateTime

    @strawberry.field(description="Null until the merchant responds.")
    def response(self) -> ReviewResponse | None:
        return response_of(self)

    @strawberry.field
    async def order(self, info: Info) -> Annotated[Order, strawberry.lazy("schema.orders.types")] | None:
        return cast("Order | None", await info.context.loaders.get(OrderByIdLoader).load(int(self.order_id)))

    @strawberry.field
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customers.types")] | None:
        if self.customer_id is None:
            return None
        return cast("Customer | None", await info.context.loaders.get(CustomerByIdLoader).load(int(self.customer_id)))


@strawberry.type
class RatingCount:
    rating: int
    count: int


@strawberry.type(description="The store's reviews in a range of days, counted by SQL aggregates.")
class ReviewStats:
    total_reviews: int
    average_rating: float | None = strawberry.field(
        description="The mean rating rounded half up to two decimals (4.125 is 4.13); null without reviews."
    )
    rating_distribution: list[RatingCount] = strawberry.field(description="Ratings 1 to 5, zeros included.")
    approved_count: int
    pending_count: int = strawberry.field(description="Reviews not approved.")

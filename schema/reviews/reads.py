"""The review reads behind the schema's fields: each root field's body, and the batched loads compiled execution
(schema/core/compiled/) uses for a whole level of parents, answering exactly what the fields do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import Row

from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.customers import customers_by_id
from resolvers.orders import OrderByIdLoader
from resolvers.reviews import (
    ReviewByOrderLoader,
    ReviewStatsSource,
    customers_reviews_pages,
    get_review,
    review_statistics,
    reviews_page,
)
from schema.core.compiled.plan import BY_PARENT_ID, BatchedField, loaded_by_id, loaded_by_id_with, root_field
from schema.reviews.inputs import ReviewFilter, review_condition
from schema.reviews.types import ReviewResponse, response_of


async def reviews(
    context: Context, first: int = 50, after: str | None = None, filter: ReviewFilter | None = None
) -> PageSource:
    return await reviews_page(context, first, after, review_condition(filter))


async def review(context: Context, id: str, *, at_once: bool = False) -> Row[Any]:
    return await get_review(context, id, at_once=at_once)


async def review_stats(context: Context, from_: date | None = None, to: date | None = None) -> ReviewStatsSource:
    return await review_statistics(context, from_, to)


async def reviews_of_customers(context: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[Any]:
    """``Customer.reviews`` for every customer of a level, in one statement."""
    ids = [int(parent.id) for parent in parents]
    return await customers_reviews_pages(context, ids, arguments.get("first", 50), arguments.get("after"))


async def responses(_context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[Any]:
    """``Review.response`` of a level: read off the review rows themselves, no statement."""
    found: list[ReviewResponse | None] = [response_of(parent) for parent in parents]
    return found


BATCHED: dict[str, BatchedField] = {
    "Query.reviews": root_field(reviews, across_fields=False),
    "Query.review": root_field(partial(review, at_once=True), across_fields=True),
    "Query.reviewStats": root_field(review_stats, across_fields=False),
    "Review.response": BatchedField(responses, across_fields=False),
    "Review.order": loaded_by_id(OrderByIdLoader, "order_id"),
    "Review.customer": loaded_by_id_with(customers_by_id, "customer_id"),
    "Customer.reviews": BatchedField(reviews_of_customers, reads=BY_PARENT_ID),
    "Order.review": loaded_by_id(ReviewByOrderLoader, "id"),
}

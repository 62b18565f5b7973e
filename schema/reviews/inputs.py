"""The review list's filter, and the plain query values it becomes."""

from __future__ import annotations

from datetime import date

import strawberry

from db.models.review import MAX_RATING, MIN_RATING
from db.queries import reviews
from resolvers.reviews import day_range
from storegraph.platform.ids import parse_id
from storegraph.platform.validation import Problems


@strawberry.input(description="All given conditions must hold.")
class ReviewFilter:
    is_approved: bool | None = None
    min_rating: int | None = strawberry.field(default=None, description="Rating at least this, 1–5.")
    max_rating: int | None = strawberry.field(default=None, description="Rating at most this, 1–5.")
    from_: date | None = strawberry.field(default=None, name="from", description="Written on or after this UTC day.")
    to: date | None = strawberry.field(default=None, description="Written on or before this UTC day.")
    customer_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None


def review_condition(where: ReviewFilter | None) -> reviews.ReviewFilter:
    if where is None:
        return reviews.ReviewFilter()
    problems = Problems()
    problems.integer_range("filter.minRating", where.min_rating, minimum=MIN_RATING, maximum=MAX_RATING)
    problems.integer_range("filter.maxRating", where.max_rating, minimum=MIN_RATING, maximum=MAX_RATING)
    if where.min_rating is not None and where.max_rating is not None and where.min_rating > where.max_rating:
        problems.add("filter.maxRating", "out_of_range", "filter.maxRating must be at least filter.minRating")
    problems.raise_if_any()
    created_from, created_before = day_range("filter.from", where.from_, where.to)
    return reviews.ReviewFilter(
        is_approved=where.is_approved,
        min_rating=where.min_rating,
        max_rating=where.max_rating,
        created_from=created_from,
        created_before=created_before,
        customer_id=parse_id(where.customer_id, "filter.customerId") if where.customer_id is not None else None,
        order_id=parse_id(where.order_id, "filter.orderId") if where.order_id is not None else None,
    )

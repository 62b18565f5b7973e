"""Review reads: the store's list, one review, a customer's reviews and an order's review (batched by
DataLoaders and, for compiled plans, per level), and the statistics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.queries.executor import Executor
from db.queries.reviews import (
    NEWEST_REVIEWS,
    ReviewFilter,
    count_reviews,
    list_reviews,
    rating_tally,
    review_counts_for_customers,
    review_pages_for_customers,
    reviews_by_ids,
    reviews_by_order_ids,
)
from resolvers.core.context import Context
from resolvers.core.loaders import by_id, load_at_once
from resolvers.core.pages import PageSource
from resolvers.core.pagination import check_first, decode_after, make_page
from storegraph.platform.errors import NotFound, ValidationFailed
from storegraph.platform.ids import parse_id
from storegraph.rules.reviews.stats import average_rating, rating_distribution

# One list name for the store's reviews and a customer's: the same ordering, so a cursor reads the same in both.
REVIEWS_LIST = "reviews"


def day_range(from_field: str, start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC days ``start`` to ``end``, both included, as the half-open range of times ``[from, before)``;
    ``start`` after ``end`` is a ``validation_error`` on ``from_field``."""
    if start is not None and end is not None and start > end:
        raise ValidationFailed.single(from_field, "out_of_range", f"{from_field} must be on or before the end day")
    created_from = datetime.combine(start, time()) if start is not None else None
    created_before = datetime.combine(end + timedelta(days=1), time()) if end is not None and end < date.max else None
    return created_from, created_before


async def reviews_page(context: Context, first: int, after: str | None, condition: ReviewFilter) -> PageSource:
    check_first(first)
    position = decode_after(context, REVIEWS_LIST, NEWEST_REVIEWS, after)
    rows = await list_reviews(context.db, context.store_id, condition, position, first)
    return make_page(
        context,
        REVIEWS_LIST,
        NEWEST_REVIEWS,
        rows,
        first,
        position,
        lambda: count_reviews(context.db, context.store_id, condition),
    )


async def get_review(context: Context, raw_id: str, *, at_once: bool = False) -> Row[Any]:
    """``at_once``: loaded without waiting for other loads to batch with (``load_at_once``)."""
    review_id = parse_id(raw_id)
    loader = context.loaders.get(ReviewByIdLoader)
    row = await (load_at_once(loader, review_id) if at_once else loader.load(review_id))
    if row is None:
        raise NotFound("Review", review_id)
    return row


@dataclass(frozen=True, slots=True)
class RatingCountSource:
    rating: int
    count: int


@dataclass(frozen=True, slots=True)
class ReviewStatsSource:
    total_reviews: int
    average_rating: float | None
    rating_distribution: list[RatingCountSource]
    approved_count: int
    pending_count: int


async def review_statistics(context: Context, start: date | None, end: date | None) -> ReviewStatsSource:
    created_from, created_before = day_range("from", start, end)
    tally = await rating_tally(context.db, context.store_id, created_from, created_before)
    average: Decimal | None = average_rating(tally)
    return ReviewStatsSource(
        total_reviews=tally.total,
        # A two-decimal Decimal converts to the nearest double, whose shortest repr is those two decimals.
        average_rating=float(average) if average is not None else None,
        rating_distribution=[RatingCountSource(rating, count) for rating, count in rating_distribution(tally)],
        approved_count=tally.approved,
        pending_count=tally.total - tally.approved,
    )


async def customer_reviews_page(context: Context, customer_id: int, first: int, after: str | None) -> PageSource:
    """A customer's reviews, newest first, batched across the customers of a level by a DataLoader."""
    check_first(first)
    position = decode_after(context, REVIEWS_LIST, NEWEST_REVIEWS, after)
    key = ReviewPageKey(customer_id, tuple(position) if position else None, first)
    rows = await context.loaders.get(ReviewPageByCustomerLoader).load(key)
    return make_page(
        context,
        REVIEWS_LIST,
        NEWEST_REVIEWS,
        rows,
        first,
        position,
        lambda: context.loaders.get(ReviewCountByCustomerLoader).load(customer_id),
    )


async def customers_reviews_pages(
    context: Context, customer_ids: Sequence[int], first: int, after: str | None
) -> list[PageSource]:
    """``customer_reviews_page`` for a whole level of customers, in the one statement its DataLoader would use."""
    check_first(first)
    position = decode_after(context, REVIEWS_LIST, NEWEST_REVIEWS, after)
    pages = await review_pages_for_customers(context.db, context.store_id, list(customer_ids), position, first)
    counts = context.loaders.get(ReviewCountByCustomerLoader)
    return [
        make_page(
            context,
            REVIEWS_LIST,
            NEWEST_REVIEWS,
            pages.get(customer_id, []),
            first,
            position,
            _review_count(counts, customer_id),
        )
        for customer_id in customer_ids
    ]


def _review_count(counts: ReviewCountByCustomerLoader, customer_id: int) -> Callable[[], Awaitable[int]]:
    return lambda: counts.load(customer_id)


@dataclass(frozen=True, slots=True)
class ReviewPageKey:
    """One customer's page of reviews; keys that differ only in ``customer_id`` share one statement."""

    customer_id: int
    after: tuple[Any, ...] | None
    first: int


class ReviewByIdLoader(DataLoader[int, Row[Any] | None]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(ids: list[int]) -> list[Row[Any] | None]:
            return by_id(await reviews_by_ids(db, store_id, ids), ids)

        super().__init__(load_fn=load)


class ReviewByOrderLoader(DataLoader[int, Row[Any] | None]):
    """An order's review, or None: keyed by order id."""

    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(order_ids: list[int]) -> list[Row[Any] | None]:
            found = {row.order_id: row for row in await reviews_by_order_ids(db, store_id, order_ids)}
            return [found.get(order_id) for order_id in order_ids]

        super().__init__(load_fn=load)


class ReviewPageByCustomerLoader(DataLoader[ReviewPageKey, list[Row[Any]]]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(keys: list[ReviewPageKey]) -> list[list[Row[Any]]]:
            groups: dict[tuple[Any, ...], list[int]] = {}
            for key in keys:
                groups.setdefault((key.after, key.first), []).append(key.customer_id)
            pages = {
                (after, first): await review_pages_for_customers(
                    db, store_id, customer_ids, list(after) if after else None, first
                )
                for (after, first), customer_ids in groups.items()
            }
            return [pages[(key.after, key.first)].get(key.customer_id, []) for key in keys]

        super().__init__(load_fn=load)


class ReviewCountByCustomerLoader(DataLoader[int, int]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(customer_ids: list[int]) -> list[int]:
            counts = await review_counts_for_customers(db, store_id, customer_ids)
            return [counts.get(customer_id, 0) for customer_id in customer_ids]

        super().__init__(load_fn=load)

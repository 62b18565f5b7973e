"""Review statements: the API's reads (the store's list, a customer's pages and an order's review, batched), the
statistics in one aggregate statement, and the rules' reads, locks and writes."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Review
from db.models.review import MAX_RATING, MIN_RATING
from db.queries.by_ids import RowsByIds
from db.queries.executor import Executor
from db.queries.pagination import Ordering, page_query

REVIEW_COLUMNS = tuple(Review.__table__.c)

NEWEST_REVIEWS = Ordering(
    name="reviews.created_at:desc", column=Review.created_at, id_column=Review.id, descending=True, kind=datetime
)


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    """``created_from`` included, ``created_before`` excluded (a day range is turned into these by the caller)."""

    is_approved: bool | None = None
    min_rating: int | None = None
    max_rating: int | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    customer_id: int | None = None
    order_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.is_approved is not None:
            conditions.append(Review.is_approved == self.is_approved)
        if self.min_rating is not None:
            conditions.append(Review.rating >= self.min_rating)
        if self.max_rating is not None:
            conditions.append(Review.rating <= self.max_rating)
        if self.created_from is not None:
            conditions.append(Review.created_at >= self.created_from)
        if self.created_before is not None:
            conditions.append(Review.created_at < self.created_before)
        if self.customer_id is not None:
            conditions.append(Review.customer_id == self.customer_id)
        if self.order_id is not None:
            conditions.append(Review.order_id == self.order_id)
        return conditions


async def list_reviews(
    db: Executor, store_id: int, where: ReviewFilter, after: list[Any] | None, first: int
) -> list[Row[Any]]:
    stmt = select(*REVIEW_COLUMNS).where(Review.store_id == store_id, *where.conditions())
    return list((await db.execute(page_query(stmt, NEWEST_REVIEWS, after, first))).all())


async def count_reviews(db: Executor, store_id: int, where: ReviewFilter) -> int:
    stmt = select(func.count()).select_from(Review).where(Review.store_id == store_id, *where.conditions())
    return int((await db.execute(stmt)).scalar_one())


reviews_by_ids = RowsByIds(REVIEW_COLUMNS, Review.store_id, Review.id)
reviews_by_order_ids = RowsByIds(REVIEW_COLUMNS, Review.store_id, Review.order_id)


async def review_pages_for_customers(
    db: Executor, store_id: int, customer_ids: list[int], after: list[Any] | None, first: int
) -> dict[int, list[Row[Any]]]:
    """Up to ``first + 1`` reviews of each customer, newest first, in one statement (a window per customer)."""
    parameters: dict[str, Any] = {"store_id": store_id, "customer_ids": customer_ids, "per_customer": first + 1}
    if after is not None:
        parameters.update(NEWEST_REVIEWS.after_parameters(after))
    pages: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in (await db.execute(_customer_pages(after is not None), parameters)).all():
        pages[row.customer_id].append(row)
    return pages


@functools.cache
def _customer_pages(has_after: bool) -> Select[Any]:
    position = (
        func.row_number().over(partition_by=Review.customer_id, order_by=NEWEST_REVIEWS.order_by()).label("position")
    )
    ranked = (
        select(*REVIEW_COLUMNS, position)
        .where(
            Review.store_id == bindparam("store_id"),
            Review.customer_id.in_(bindparam("customer_ids", expanding=True)),
            *([NEWEST_REVIEWS.after_bound()] if has_after else []),
        )
        .subquery()
    )
    return (
        select(*(ranked.c[column.key] for column in REVIEW_COLUMNS))
        .where(ranked.c.position <= bindparam("per_customer"))
        .order_by(ranked.c.customer_id, ranked.c.position)
    )


async def review_counts_for_customers(db: Executor, store_id: int, customer_ids: list[int]) -> dict[int, int]:
    stmt = (
        select(Review.customer_id, func.count().label("reviews"))
        .where(Review.store_id == store_id, Review.customer_id.in_(customer_ids))
        .group_by(Review.customer_id)
    )
    return {row.customer_id: row.reviews for row in (await db.execute(stmt)).all()}


@dataclass(frozen=True, slots=True)
class RatingTally:
    """What the statistics are computed from, exactly: integer counts and the integer sum of the ratings."""

    total: int
    rating_sum: int
    approved: int
    by_rating: dict[int, int]


RATINGS = range(MIN_RATING, MAX_RATING + 1)


async def rating_tally(
    db: Executor, store_id: int, created_from: datetime | None, created_before: datetime | None
) -> RatingTally:
    """Counts, the sum of ratings and the count of each rating of the store's reviews in the range: one statement
    whatever the number of reviews."""
    where = ReviewFilter(created_from=created_from, created_before=created_before)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(Review.rating), 0),
        func.coalesce(func.sum(case((Review.is_approved, 1), else_=0)), 0),
        *(func.coalesce(func.sum(case((Review.rating == rating, 1), else_=0)), 0) for rating in RATINGS),
    ).where(Review.store_id == store_id, *where.conditions())
    values: tuple[Any, ...] = tuple((await db.execute(stmt)).one())
    total, rating_sum, approved, *counts = (int(value) for value in values)
    return RatingTally(
        total=total,
        rating_sum=rating_sum,
        approved=approved,
        by_rating=dict(zip(RATINGS, counts, strict=True)),
    )


# --- the rules' reads and writes ---


async def review_id_of_order(session: AsyncSession, order_id: int) -> int | None:
    return await session.scalar(select(Review.id).where(Review.order_id == order_id))


async def lock_review(session: AsyncSession, store_id: int, review_id: int) -> Review | None:
    stmt = select(Review).where(Review.id == review_id, Review.store_id == store_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_review(session: AsyncSession, values: dict[str, Any]) -> Review:
    """Inserts in a savepoint, so that a lost race on the order's unique index undoes only this insert; the
    ``IntegrityError`` is the caller's to report."""
    review = Review(**values)
    async with session.begin_nested():
        session.add(review)
        await session.flush()
    return review


async def delete_review_row(session: AsyncSession, review: Review) -> None:
    await session.delete(review)
    await session.flush()

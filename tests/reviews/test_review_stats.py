"""reviewStats and GET /v1/reviews/stats: SQL aggregates, the distribution 1–5 with zeros, the average rounded half
up to two decimals, exactly as a Decimal reference computes it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.models import Order, Review
from tests.reviews.support import STATS
from tests.support.factories import create_customer, create_key, create_product, create_store

FIRST_DAY = date(2026, 1, 1)
DAYS = 10


async def store_with_reviews(sessionmaker, reviews: list[tuple[int, int, bool]]):
    """A new store with one delivered order per ``(rating, day offset, approved)`` and its review."""
    async with sessionmaker() as session:
        store = await create_store(session)
        key = await create_key(session, store)
        customer = await create_customer(session, store)
        await create_product(session, store)
        orders = [
            Order(
                store_id=store.id,
                customer_id=customer.id,
                order_number=f"ORD-{store.id}-{index:05d}",
                status="delivered",
                customer_name="Amine Benali",
                customer_phone=customer.phone,
            )
            for index in range(len(reviews))
        ]
        session.add_all(orders)
        await session.flush()
        for order, (rating, day, approved) in zip(orders, reviews, strict=True):
            written = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time()) + timedelta(hours=23)
            session.add(
                Review(
                    store_id=store.id,
                    order_id=order.id,
                    customer_id=customer.id,
                    rating=rating,
                    is_approved=approved,
                    created_at=written,
                    updated_at=written,
                )
            )
        await session.commit()
    return key


def reference(ratings: list[tuple[int, bool]]) -> dict[str, object]:
    total = len(ratings)
    average = None
    if total:
        exact = Decimal(sum(rating for rating, _ in ratings)) / Decimal(total)
        average = float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    approved = sum(1 for _, is_approved in ratings if is_approved)
    return {
        "totalReviews": total,
        "averageRating": average,
        "ratingDistribution": [
            {"rating": value, "count": sum(1 for rating, _ in ratings if rating == value)} for value in range(1, 6)
        ],
        "approvedCount": approved,
        "pendingCount": total - approved,
    }


async def stats(gql, key, **variables):
    payload = await gql.query(STATS, variables, headers=key.headers)
    assert "errors" not in payload, payload
    return payload["data"]["reviewStats"]


async def test_a_store_without_reviews_has_zeros_and_no_average(gql, sessionmaker):
    key = await store_with_reviews(sessionmaker, [])

    answer = await stats(gql, key)

    assert answer == reference([])
    assert answer["averageRating"] is None
    assert [entry["count"] for entry in answer["ratingDistribution"]] == [0, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("ratings", "average"),
    [
        ([4, 4, 5], 4.33),  # 4.333...
        ([5, 5, 4], 4.67),  # 4.666...
        ([4, 4, 4, 4, 4, 4, 4, 5], 4.13),  # 4.125 exactly: half up, where binary rounding of 4.125 would not
        ([1, 2], 1.5),
        ([3], 3.0),
    ],
)
async def test_the_average_is_rounded_half_up_to_two_decimals(gql, sessionmaker, ratings, average):
    key = await store_with_reviews(sessionmaker, [(rating, 0, False) for rating in ratings])

    assert (await stats(gql, key))["averageRating"] == average


async def test_the_days_bound_the_reviews_counted_both_included(gql, sessionmaker):
    key = await store_with_reviews(sessionmaker, [(1, 0, True), (2, 1, False), (3, 2, True), (5, 3, False)])

    answer = await stats(gql, key, **{"from": "2026-01-02", "to": "2026-01-03"})

    assert answer == reference([(2, False), (3, True)])


async def test_a_range_ending_before_it_starts_is_a_validation_error(gql, sessionmaker):
    key = await store_with_reviews(sessionmaker, [(1, 0, True)])

    payload = await gql.query(STATS, {"from": "2026-01-03", "to": "2026-01-02"}, headers=key.headers)

    [error] = payload["errors"]
    assert error["extensions"]["code"] == "validation_error"
    assert error["extensions"]["details"][0]["field"] == "from"


async def test_the_statistics_take_one_statement_however_many_reviews(gql, sessionmaker, count_statements):
    few = await store_with_reviews(sessionmaker, [(5, 0, True)])
    many = await store_with_reviews(sessionmaker, [(rating % 5 + 1, rating % DAYS, True) for rating in range(60)])
    counted = []
    for key in (few, many):
        await stats(gql, key)
        with count_statements() as counter:
            await stats(gql, key)
        counted.append(counter.count)

    assert counted[0] == counted[1]


async def test_another_stores_reviews_are_not_counted(gql, sessionmaker):
    await store_with_reviews(sessionmaker, [(1, 0, True), (1, 0, True)])
    key = await store_with_reviews(sessionmaker, [(5, 0, False)])

    assert await stats(gql, key) == reference([(5, False)])


async def test_rest_answers_the_statistics_in_snake_case(client, sessionmaker):
    key = await store_with_reviews(sessionmaker, [(4, 0, True), (4, 1, False), (5, 2, True)])

    response = await client.get("/v1/reviews/stats?from=2026-01-01&to=2026-01-02", headers=key.headers)

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "total_reviews": 2,
        "average_rating": 4.0,
        "rating_distribution": [{"rating": rating, "count": 2 if rating == 4 else 0} for rating in range(1, 6)],
        "approved_count": 1,
        "pending_count": 1,
    }


@pytest.mark.parametrize("query", ["from=2026-13-01", "to=yesterday", "from=2026-01-03&to=2026-01-02"])
async def test_rest_refuses_a_bad_range(client, sessionmaker, query):
    key = await store_with_reviews(sessionmaker, [])

    response = await client.get(f"/v1/reviews/stats?{query}", headers=key.headers)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


REVIEWS = st.lists(
    st.tuples(st.integers(1, 5), st.integers(0, DAYS - 1), st.booleans()),
    max_size=40,
)
DAY_BOUND = st.none() | st.integers(0, DAYS - 1)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(reviews=REVIEWS, start=DAY_BOUND, end=DAY_BOUND)
async def test_the_statistics_match_a_decimal_reference(gql, sessionmaker, reviews, start, end):
    if start is not None and end is not None and start > end:
        start, end = end, start
    key = await store_with_reviews(sessionmaker, reviews)
    variables = {}
    if start is not None:
        variables["from"] = (FIRST_DAY + timedelta(days=start)).isoformat()
    if end is not None:
        variables["to"] = (FIRST_DAY + timedelta(days=end)).isoformat()

    answer = await stats(gql, key, **variables)

    counted = [
        (rating, approved)
        for rating, day, approved in reviews
        if (start is None or day >= start) and (end is None or day <= end)
    ]
    assert answer == reference(counted)

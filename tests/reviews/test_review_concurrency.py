"""Concurrent createReview calls for one order make one review: the rest answer `conflict`. Each call is its own
request with its own connection; on PostgreSQL they really run at once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from db.models import Review
from tests.reviews.support import CREATE, make_shop, review_input
from tests.support.mutation_helpers import count_rows, user_errors


async def test_ten_concurrent_reviews_of_one_order_make_one(gql, session, sessionmaker):
    shop = await make_shop(session, delivered=1)
    order = shop.delivered[0]

    payloads = await asyncio.gather(
        *(gql.query(CREATE, review_input(order, rating), headers=shop.key.headers) for rating in [1, 2, 3, 4, 5] * 2)
    )

    outcomes = sorted(tuple(user_errors(payload, "createReview")) for payload in payloads)
    assert outcomes == [()] + [(("orderId", "conflict"),)] * 9
    assert await count_rows(sessionmaker, Review, shop.store.id) == 1
    [winner] = [
        payload["data"]["createReview"]["review"] for payload in payloads if payload["data"]["createReview"]["review"]
    ]
    async with sessionmaker() as reading:
        stored = await reading.scalar(select(func.min(Review.rating)).where(Review.order_id == order.id))
    assert stored == winner["rating"]


async def test_concurrent_reviews_of_different_orders_all_succeed(gql, session, sessionmaker):
    shop = await make_shop(session, delivered=6)

    payloads = await asyncio.gather(
        *(gql.query(CREATE, review_input(order), headers=shop.key.headers) for order in shop.delivered)
    )

    assert all(user_errors(payload, "createReview") == [] for payload in payloads)
    assert await count_rows(sessionmaker, Review, shop.store.id) == 6

"""The table holds the rules by itself: one review per order, ratings 1–5, texts of at most 2,000 characters."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from db.models import Review
from tests.reviews.support import make_shop


async def insert(sessionmaker, **values: Any) -> None:
    async with sessionmaker() as session:
        session.add(Review(**values))
        await session.commit()


@pytest.fixture
async def base(session) -> dict[str, Any]:
    shop = await make_shop(session, delivered=2)
    return {"store_id": shop.store.id, "order_id": shop.delivered[0].id, "customer_id": shop.customer.id, "rating": 5}


async def test_a_second_row_for_one_order_is_refused_by_the_unique_index(sessionmaker, base):
    await insert(sessionmaker, **base)

    with pytest.raises(IntegrityError):
        await insert(sessionmaker, **{**base, "rating": 1})


@pytest.mark.parametrize(
    "values",
    [
        {"rating": 0},
        {"rating": 6},
        {"product_rating": 6},
        {"delivery_rating": 0},
        {"packaging_rating": 7},
        {"comment": "x" * 2001},
        {"response_text": "x" * 2001},
    ],
)
async def test_a_value_out_of_its_range_is_refused_by_a_check_constraint(sessionmaker, base, values):
    with pytest.raises(IntegrityError):
        await insert(sessionmaker, **{**base, **values})


async def test_values_at_their_bounds_are_stored(sessionmaker, base):
    await insert(
        sessionmaker,
        **{**base, "rating": 1, "product_rating": 5, "comment": "é" * 2000, "response_text": "x" * 2000},
    )

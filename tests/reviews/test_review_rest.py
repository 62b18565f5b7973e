"""The /v1 review rows: each answers what its GraphQL operation does, in snake_case inside the envelope."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from db.models import Review
from tests.reviews.support import Shop, make_shop
from tests.support.factories import create_review
from tests.support.mutation_helpers import count_rows, snapshot
from tests.support.rest_calls import data_of, error_of

_keys = itertools.count(1)


@pytest.fixture
async def shop(session) -> Shop:
    return await make_shop(session)


def writing(shop: Shop) -> dict[str, str]:
    return {**shop.key.headers, "Idempotency-Key": f"review-{next(_keys)}"}


async def post_review(client, shop: Shop, body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = await client.post("/v1/reviews", json=body, headers=writing(shop))
    return response


async def test_create_answers_201_with_the_review_in_snake_case(client, shop):
    order = shop.delivered[0]

    review = data_of(
        await post_review(client, shop, {"order_id": order.id, "rating": 4, "delivery_rating": 5, "comment": "Bien"}),
        201,
    )

    assert review == {
        "id": review["id"],
        "order_id": order.id,
        "customer_id": shop.customer.id,
        "rating": 4,
        "product_rating": None,
        "delivery_rating": 5,
        "packaging_rating": None,
        "comment": "Bien",
        "is_approved": False,
        "is_public": True,
        "is_featured": False,
        "response": None,
        "created_at": review["created_at"],
        "updated_at": review["updated_at"],
    }
    assert isinstance(review["id"], int)
    datetime.strptime(review["created_at"], "%Y-%m-%d %H:%M:%S")


async def test_create_for_an_order_not_delivered_is_422_order_not_delivered(client, sessionmaker, shop):
    error = error_of(
        await post_review(client, shop, {"order_id": shop.pending.id, "rating": 5}), 422, "order_not_delivered"
    )

    assert "delivered" in error["message"]
    assert await count_rows(sessionmaker, Review, shop.store.id) == 0


async def test_a_second_review_of_an_order_is_409_conflict(client, sessionmaker, shop):
    order = shop.delivered[0]
    data_of(await post_review(client, shop, {"order_id": order.id, "rating": 5}), 201)

    error_of(await post_review(client, shop, {"order_id": order.id, "rating": 2}), 409, "conflict")

    assert await count_rows(sessionmaker, Review, shop.store.id) == 1


async def test_an_order_of_another_store_is_404(client, session, sessionmaker, shop):
    other = await make_shop(session, delivered=1)

    error_of(await post_review(client, shop, {"order_id": other.delivered[0].id, "rating": 5}), 404, "not_found")

    assert await count_rows(sessionmaker, Review, other.store.id) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 6}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"product_rating": 9}, "product_rating"),
        ({"comment": "x" * 2001}, "comment"),
        ({"order_id": 0}, "order_id"),
        ({"is_featured": True}, "is_featured"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field_and_writes_nothing(client, sessionmaker, shop, body, field):
    sent = {"order_id": shop.delivered[0].id, "rating": 5, **body}

    error = error_of(await post_review(client, shop, sent), 422, "validation_error")

    assert field in [detail["field"] for detail in error["details"]]
    assert await count_rows(sessionmaker, Review, shop.store.id) == 0


@pytest.fixture
async def reviews(session, shop) -> list[Review]:
    """One review per delivered order, a day apart, ratings 3, 4, 5, the last approved."""
    start = datetime(2026, 5, 1, 10)
    made = [
        await create_review(
            session, shop.store, order, rating=3 + i, is_approved=i == 2, created_at=start + timedelta(days=i)
        )
        for i, order in enumerate(shop.delivered)
    ]
    await session.commit()
    return made


@pytest.mark.parametrize(
    ("query", "ratings"),
    [
        ("", [5, 4, 3]),
        ("is_approved=true", [5]),
        ("is_approved=false", [4, 3]),
        ("min_rating=4", [5, 4]),
        ("max_rating=3", [3]),
        ("from=2026-05-02&to=2026-05-02", [4]),
    ],
)
async def test_the_list_takes_the_filters_as_query_parameters(client, shop, reviews, query, ratings):
    listed = data_of(await client.get(f"/v1/reviews?{query}", headers=shop.key.headers))

    assert [item["rating"] for item in listed["items"]] == ratings
    assert listed["has_more"] is False


async def test_the_list_filters_by_order_and_customer(client, shop, reviews):
    by_order = data_of(await client.get(f"/v1/reviews?order_id={shop.delivered[1].id}", headers=shop.key.headers))
    by_customer = data_of(await client.get(f"/v1/reviews?customer_id={shop.customer.id}", headers=shop.key.headers))

    assert [item["id"] for item in by_order["items"]] == [reviews[1].id]
    assert len(by_customer["items"]) == 3


async def test_the_list_pages_by_cursor(client, shop, reviews):
    first = data_of(await client.get("/v1/reviews?limit=2", headers=shop.key.headers))
    second = data_of(await client.get(f"/v1/reviews?limit=2&cursor={first['next_cursor']}", headers=shop.key.headers))

    assert [item["rating"] for item in first["items"] + second["items"]] == [5, 4, 3]
    assert (first["has_more"], second["has_more"]) == (True, False)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("min_rating=6", "min_rating"),
        ("max_rating=0", "max_rating"),
        ("min_rating=4&max_rating=3", "max_rating"),
        ("from=2026-05-03&to=2026-05-01", "from"),
        ("is_approved=maybe", "is_approved"),
        ("customer_id=abc", "customer_id"),
    ],
)
async def test_a_bad_query_is_422_naming_the_parameter(client, shop, reviews, query, field):
    error = error_of(await client.get(f"/v1/reviews?{query}", headers=shop.key.headers), 422, "validation_error")

    assert field in [detail["field"] for detail in error["details"]]


async def test_stats_is_not_read_as_a_review_id(client, shop, reviews):
    stats = data_of(await client.get("/v1/reviews/stats", headers=shop.key.headers))

    assert (stats["total_reviews"], stats["average_rating"], stats["approved_count"]) == (3, 4.0, 1)


async def test_get_one_review_and_another_stores_is_404(client, session, shop, reviews):
    other = await make_shop(session, delivered=1)

    own = data_of(await client.get(f"/v1/reviews/{reviews[0].id}", headers=shop.key.headers))
    error_of(await client.get(f"/v1/reviews/{reviews[0].id}", headers=other.key.headers), 404, "not_found")

    assert (own["id"], own["rating"]) == (reviews[0].id, 3)


async def test_patch_moderates_and_keeps_the_flags_left_out(client, shop, reviews):
    review = data_of(
        await client.patch(f"/v1/reviews/{reviews[0].id}", json={"is_featured": True}, headers=writing(shop))
    )

    assert (review["is_approved"], review["is_public"], review["is_featured"]) == (False, True, True)


async def test_patch_refuses_null_and_changes_nothing(client, sessionmaker, shop, reviews):
    before = await snapshot(sessionmaker, Review, reviews[0].id)

    error = error_of(
        await client.patch(f"/v1/reviews/{reviews[0].id}", json={"is_approved": None}, headers=writing(shop)),
        422,
        "validation_error",
    )

    assert error["details"][0]["field"] == "is_approved"
    assert await snapshot(sessionmaker, Review, reviews[0].id) == before


async def test_a_response_is_set_then_replaced(client, shop, reviews):
    path = f"/v1/reviews/{reviews[0].id}/response"
    data_of(await client.post(path, json={"text": "Merci"}, headers=writing(shop)))

    review = data_of(await client.post(path, json={"text": "Merci beaucoup"}, headers=writing(shop)))

    response = review["response"]
    assert (response["text"], response["responded_by"]) == ("Merci beaucoup", shop.key.id)
    datetime.strptime(response["responded_at"], "%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "  "}, {"text": "x" * 2001}, {}])
async def test_a_bad_response_is_422_and_changes_nothing(client, sessionmaker, shop, reviews, body):
    before = await snapshot(sessionmaker, Review, reviews[0].id)

    error = error_of(
        await client.post(f"/v1/reviews/{reviews[0].id}/response", json=body, headers=writing(shop)),
        422,
        "validation_error",
    )

    assert "text" in [detail["field"] for detail in error["details"]]
    assert await snapshot(sessionmaker, Review, reviews[0].id) == before


async def test_delete_answers_the_id_and_the_review_is_gone(client, sessionmaker, shop, reviews):
    deleted = data_of(await client.delete(f"/v1/reviews/{reviews[0].id}", headers=writing(shop)))

    assert deleted == {"id": reviews[0].id, "deleted": True}
    assert await snapshot(sessionmaker, Review, reviews[0].id) == {}
    error_of(await client.get(f"/v1/reviews/{reviews[0].id}", headers=shop.key.headers), 404, "not_found")

"""createReview, moderateReview, respondToReview and deleteReview (reviews:write) through GraphQL."""

from __future__ import annotations

import pytest

from db.models import Review
from storegraph.platform.auth.scopes import DEFAULT_PLATFORM_SCOPES, Scope
from tests.reviews.support import CREATE, DELETE, MODERATE, ONE, RESPOND, make_shop, review_input
from tests.support.factories import create_key, create_review, create_store
from tests.support.mutation_helpers import (
    assert_insufficient_scope,
    count_rows,
    result_of,
    snapshot,
    succeeded,
    user_errors,
)


@pytest.fixture
async def shop(session):
    return await make_shop(session)


async def created(gql, shop, order, rating=5, **more):
    payload = await gql.query(CREATE, review_input(order, rating, **more), headers=shop.key.headers)
    return succeeded(payload, "createReview")["review"]


# --- createReview -----------------------------------------------------------------------------------------------


async def test_a_review_of_a_delivered_order_is_the_orders_customers_and_waits_for_approval(gql, sessionmaker, shop):
    order = shop.delivered[0]

    review = await created(
        gql, shop, order, 4, productRating=5, deliveryRating=3, packagingRating=4, comment="  Très bien  "
    )

    assert review["orderId"] == str(order.id)
    assert review["customerId"] == str(shop.customer.id)
    assert (review["rating"], review["productRating"], review["deliveryRating"], review["packagingRating"]) == (
        4,
        5,
        3,
        4,
    )
    assert review["comment"] == "Très bien"
    assert (review["isApproved"], review["isPublic"], review["isFeatured"]) == (False, True, False)
    assert review["response"] is None
    row = await snapshot(sessionmaker, Review, int(review["id"]))
    assert (row["store_id"], row["order_id"], row["customer_id"]) == (shop.store.id, order.id, shop.customer.id)


async def test_a_review_may_be_created_private(gql, shop):
    review = await created(gql, shop, shop.delivered[0], isPublic=False)

    assert review["isPublic"] is False


async def test_an_order_not_delivered_cannot_be_reviewed_and_nothing_is_written(gql, sessionmaker, shop):
    payload = await gql.query(CREATE, review_input(shop.pending), headers=shop.key.headers)

    assert user_errors(payload, "createReview") == [("orderId", "order_not_delivered")]
    assert result_of(payload, "createReview")["review"] is None
    assert await count_rows(sessionmaker, Review, shop.store.id) == 0


async def test_a_second_review_of_one_order_is_a_conflict(gql, sessionmaker, shop):
    order = shop.delivered[0]
    first = await created(gql, shop, order)

    payload = await gql.query(CREATE, review_input(order, 1), headers=shop.key.headers)

    assert user_errors(payload, "createReview") == [("orderId", "conflict")]
    assert await count_rows(sessionmaker, Review, shop.store.id) == 1
    assert (await snapshot(sessionmaker, Review, int(first["id"])))["rating"] == 5


async def test_an_order_of_another_store_is_not_found_and_nothing_is_written(gql, session, sessionmaker, shop):
    other = await make_shop(session, delivered=1)

    payload = await gql.query(CREATE, review_input(other.delivered[0]), headers=shop.key.headers)

    assert user_errors(payload, "createReview") == [("orderId", "not_found")]
    assert await count_rows(sessionmaker, Review, shop.store.id) == 0
    assert await count_rows(sessionmaker, Review, other.store.id) == 0


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"rating": 0}, "rating", "out_of_range"),
        ({"rating": 6}, "rating", "out_of_range"),
        ({"productRating": 9}, "productRating", "out_of_range"),
        ({"deliveryRating": -1}, "deliveryRating", "out_of_range"),
        ({"packagingRating": 0}, "packagingRating", "out_of_range"),
        ({"comment": "x" * 2001}, "comment", "too_long"),
        ({"comment": "a\x00b"}, "comment", "invalid"),
        ({"orderId": "abc"}, "orderId", "invalid"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(gql, sessionmaker, shop, changes, field, code):
    variables = review_input(shop.delivered[0])
    variables["input"].update(changes)  # type: ignore[attr-defined]

    payload = await gql.query(CREATE, variables, headers=shop.key.headers)

    assert user_errors(payload, "createReview") == [(field, code)]
    assert await count_rows(sessionmaker, Review, shop.store.id) == 0


async def test_a_comment_of_exactly_2000_characters_is_kept(gql, shop):
    review = await created(gql, shop, shop.delivered[0], comment="é" * 2000)

    assert review["comment"] == "é" * 2000


async def test_every_bad_rating_is_reported_at_once(gql, shop):
    variables = review_input(shop.delivered[0], 7, productRating=0, deliveryRating=8)

    payload = await gql.query(CREATE, variables, headers=shop.key.headers)

    assert user_errors(payload, "createReview") == [
        ("rating", "out_of_range"),
        ("productRating", "out_of_range"),
        ("deliveryRating", "out_of_range"),
    ]


# --- moderateReview ---------------------------------------------------------------------------------------------


async def test_moderation_sets_the_flags_given_and_keeps_the_others(gql, shop):
    review = await created(gql, shop, shop.delivered[0])

    payload = await gql.query(
        MODERATE, {"input": {"id": review["id"], "isApproved": True, "isFeatured": True}}, headers=shop.key.headers
    )

    moderated = succeeded(payload, "moderateReview")["review"]
    assert (moderated["isApproved"], moderated["isPublic"], moderated["isFeatured"]) == (True, True, True)
    payload = await gql.query(MODERATE, {"input": {"id": review["id"], "isPublic": False}}, headers=shop.key.headers)
    again = succeeded(payload, "moderateReview")["review"]
    assert (again["isApproved"], again["isPublic"], again["isFeatured"]) == (True, False, True)


async def test_a_null_flag_is_refused_and_nothing_changes(gql, sessionmaker, shop):
    review = await created(gql, shop, shop.delivered[0])
    before = await snapshot(sessionmaker, Review, int(review["id"]))

    payload = await gql.query(
        MODERATE, {"input": {"id": review["id"], "isApproved": True, "isPublic": None}}, headers=shop.key.headers
    )

    assert user_errors(payload, "moderateReview") == [("isPublic", "blank")]
    assert await snapshot(sessionmaker, Review, int(review["id"])) == before


async def test_moderating_another_stores_review_is_not_found_and_changes_nothing(gql, session, sessionmaker, shop):
    other = await make_shop(session, delivered=1)
    foreign = await create_review(session, other.store, other.delivered[0])
    await session.commit()
    before = await snapshot(sessionmaker, Review, foreign.id)

    payload = await gql.query(
        MODERATE, {"input": {"id": str(foreign.id), "isApproved": True}}, headers=shop.key.headers
    )

    assert user_errors(payload, "moderateReview") == [("id", "not_found")]
    assert await snapshot(sessionmaker, Review, foreign.id) == before


# --- respondToReview --------------------------------------------------------------------------------------------


async def test_a_response_records_its_text_time_and_the_keys_id(gql, shop):
    review = await created(gql, shop, shop.delivered[0])

    payload = await gql.query(RESPOND, {"input": {"id": review["id"], "text": " Merci ! "}}, headers=shop.key.headers)

    response = succeeded(payload, "respondToReview")["review"]["response"]
    assert response["text"] == "Merci !"
    assert response["respondedBy"] == str(shop.key.id)
    assert response["respondedAt"] is not None


async def test_responding_again_replaces_the_response_and_its_author(gql, session, shop):
    review = await created(gql, shop, shop.delivered[0])
    other_key = await create_key(session, shop.store)
    await session.commit()
    await gql.query(RESPOND, {"input": {"id": review["id"], "text": "Merci"}}, headers=shop.key.headers)

    payload = await gql.query(RESPOND, {"input": {"id": review["id"], "text": "Désolé"}}, headers=other_key.headers)

    response = succeeded(payload, "respondToReview")["review"]["response"]
    assert (response["text"], response["respondedBy"]) == ("Désolé", str(other_key.id))


@pytest.mark.parametrize(("text", "code"), [("", "blank"), ("   ", "blank"), ("x" * 2001, "too_long")])
async def test_a_bad_response_is_refused_and_nothing_changes(gql, sessionmaker, shop, text, code):
    review = await created(gql, shop, shop.delivered[0])
    before = await snapshot(sessionmaker, Review, int(review["id"]))

    payload = await gql.query(RESPOND, {"input": {"id": review["id"], "text": text}}, headers=shop.key.headers)

    assert user_errors(payload, "respondToReview") == [("text", code)]
    assert await snapshot(sessionmaker, Review, int(review["id"])) == before


# --- deleteReview -----------------------------------------------------------------------------------------------


async def test_deleting_a_review_frees_its_order_for_a_new_one(gql, sessionmaker, shop):
    order = shop.delivered[0]
    review = await created(gql, shop, order)

    payload = await gql.query(DELETE, {"id": review["id"]}, headers=shop.key.headers)

    assert succeeded(payload, "deleteReview")["deletedId"] == review["id"]
    assert await snapshot(sessionmaker, Review, int(review["id"])) == {}
    assert (await gql.query(ONE, {"id": review["id"]}, headers=shop.key.headers))["errors"][0]["extensions"][
        "code"
    ] == "not_found"
    await created(gql, shop, order, 3)


async def test_deleting_another_stores_review_is_not_found_and_keeps_it(gql, session, sessionmaker, shop):
    other = await make_shop(session, delivered=1)
    foreign = await create_review(session, other.store, other.delivered[0])
    await session.commit()

    payload = await gql.query(DELETE, {"id": str(foreign.id)}, headers=shop.key.headers)

    assert user_errors(payload, "deleteReview") == [("id", "not_found")]
    assert await snapshot(sessionmaker, Review, foreign.id) != {}


# --- scopes -----------------------------------------------------------------------------------------------------


async def test_the_default_platform_scopes_do_not_include_the_review_scopes():
    assert Scope.REVIEWS_READ not in DEFAULT_PLATFORM_SCOPES
    assert Scope.REVIEWS_WRITE not in DEFAULT_PLATFORM_SCOPES


async def test_a_key_with_the_default_scopes_cannot_create_a_review(gql, session, sessionmaker, shop):
    key = await create_key(session, shop.store, scopes=DEFAULT_PLATFORM_SCOPES)
    await session.commit()

    payload = await gql.query(CREATE, review_input(shop.delivered[0]), headers=key.headers)

    assert_insufficient_scope(payload, "createReview", "reviews:write")
    assert await count_rows(sessionmaker, Review, shop.store.id) == 0


async def test_a_reviews_write_key_sees_the_review_it_wrote(gql, session, shop):
    key = await create_key(session, shop.store, scopes=(Scope.REVIEWS_WRITE,))
    await session.commit()

    payload = await gql.query(CREATE, review_input(shop.delivered[0]), headers=key.headers)

    assert succeeded(payload, "createReview")["review"]["rating"] == 5


async def test_a_store_without_reviews_has_no_foreign_rows_to_show(gql, session, shop):
    empty = await create_store(session)
    key = await create_key(session, empty)
    await session.commit()
    review = await created(gql, shop, shop.delivered[0])

    payload = await gql.query(ONE, {"id": review["id"]}, headers=key.headers)

    assert payload["data"] == {"review": None}
    assert payload["errors"][0]["extensions"]["code"] == "not_found"

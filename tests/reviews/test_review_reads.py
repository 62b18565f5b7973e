"""reviews, review, Customer.reviews and Order.review (reviews:read): order, filters, pages, tenancy, scopes and
the compiled path."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from storegraph.platform.auth.scopes import Scope
from tests.reviews.support import LIST, ONE, make_shop
from tests.schema.test_compiled_differential import compiled_of, standard_only
from tests.schema.test_query_cost import cost
from tests.support.compiled_queries import answer
from tests.support.factories import create_customer, create_key, create_order, create_review

DAY = datetime(2026, 3, 10, 12, 0)


@pytest.fixture
async def reviewed(session):
    """Five reviews a day apart (oldest first): ratings 1..5, the even ones approved, the last by another
    customer."""
    shop = await make_shop(session, delivered=4)
    other = await create_customer(session, shop.store)
    orders = [*shop.delivered, await create_order(session, shop.store, other, [(shop.product, 1)], status="delivered")]
    reviews = [
        await create_review(
            session, shop.store, order, rating=rating, is_approved=rating % 2 == 0, created_at=DAY + timedelta(days=i)
        )
        for i, (order, rating) in enumerate(zip(orders, range(1, 6), strict=True))
    ]
    await session.commit()
    return shop, other, orders, reviews


async def listed(gql, key, **variables):
    payload = await gql.query(LIST, variables, headers=key.headers)
    assert "errors" not in payload, payload
    return payload["data"]["reviews"]


async def test_the_list_is_newest_first(gql, reviewed):
    shop, _other, _orders, reviews = reviewed

    page = await listed(gql, shop.key)

    assert [node["id"] for node in page["nodes"]] == [str(review.id) for review in reversed(reviews)]
    assert page["totalCount"] == 5


async def test_pages_follow_each_other_by_cursor(gql, reviewed):
    shop, _other, _orders, reviews = reviewed

    first = await listed(gql, shop.key, first=2)
    second = await listed(gql, shop.key, first=2, after=first["pageInfo"]["endCursor"])
    third = await listed(gql, shop.key, first=2, after=second["pageInfo"]["endCursor"])

    ids = [node["id"] for page in (first, second, third) for node in page["nodes"]]
    assert ids == [str(review.id) for review in reversed(reviews)]
    assert (first["pageInfo"]["hasNextPage"], third["pageInfo"]["hasNextPage"]) == (True, False)


@pytest.mark.parametrize(
    ("review_filter", "ratings"),
    [
        ({"isApproved": True}, [4, 2]),
        ({"isApproved": False}, [5, 3, 1]),
        ({"minRating": 4}, [5, 4]),
        ({"maxRating": 2}, [2, 1]),
        ({"minRating": 2, "maxRating": 3}, [3, 2]),
        ({"from": "2026-03-11", "to": "2026-03-12"}, [3, 2]),
        ({"to": "2026-03-10"}, [1]),
        ({"from": "2026-03-14"}, [5]),
    ],
)
async def test_filters_narrow_the_list(gql, reviewed, review_filter, ratings):
    shop, *_ = reviewed

    page = await listed(gql, shop.key, filter=review_filter)

    assert [node["rating"] for node in page["nodes"]] == ratings
    assert page["totalCount"] == len(ratings)


async def test_filters_by_customer_and_by_order(gql, reviewed):
    shop, other, orders, _reviews = reviewed

    by_customer = await listed(gql, shop.key, filter={"customerId": str(other.id)})
    by_order = await listed(gql, shop.key, filter={"orderId": str(orders[1].id)})

    assert [node["rating"] for node in by_customer["nodes"]] == [5]
    assert [node["rating"] for node in by_order["nodes"]] == [2]


@pytest.mark.parametrize(
    ("review_filter", "field"),
    [
        ({"minRating": 0}, "filter.minRating"),
        ({"maxRating": 6}, "filter.maxRating"),
        ({"minRating": 4, "maxRating": 2}, "filter.maxRating"),
        ({"from": "2026-03-12", "to": "2026-03-11"}, "filter.from"),
        ({"customerId": "x"}, "filter.customerId"),
    ],
)
async def test_a_bad_filter_is_a_validation_error(gql, reviewed, review_filter, field):
    shop, *_ = reviewed

    payload = await gql.query(LIST, {"filter": review_filter}, headers=shop.key.headers)

    [error] = payload["errors"]
    assert error["extensions"]["code"] == "validation_error"
    assert error["extensions"]["details"][0]["field"] == field


async def test_another_stores_reviews_are_never_listed_nor_found(gql, session, reviewed):
    shop, _other, _orders, reviews = reviewed
    stranger = await make_shop(session, delivered=1)

    page = await listed(gql, stranger.key)
    payload = await gql.query(ONE, {"id": str(reviews[0].id)}, headers=stranger.key.headers)

    assert page["nodes"] == []
    assert payload["errors"][0]["extensions"]["code"] == "not_found"
    assert (await listed(gql, shop.key))["totalCount"] == 5


async def test_a_customers_reviews_and_an_orders_review(gql, reviewed):
    shop, other, orders, _reviews = reviewed
    query = """
    query($customer: ID!, $order: ID!, $pending: ID!) {
      customer(id: $customer) { reviews(first: 2) { totalCount nodes { rating } pageInfo { hasNextPage } } }
      order(id: $order) { review { rating order { id } customer { id } } }
      pending: order(id: $pending) { review { id } }
    }
    """
    variables = {"customer": str(shop.customer.id), "order": str(orders[4].id), "pending": str(shop.pending.id)}

    payload = await gql.query(query, variables, headers=shop.key.headers)

    assert "errors" not in payload, payload
    customer_reviews = payload["data"]["customer"]["reviews"]
    assert [node["rating"] for node in customer_reviews["nodes"]] == [4, 3]
    assert (customer_reviews["totalCount"], customer_reviews["pageInfo"]["hasNextPage"]) == (4, True)
    assert payload["data"]["order"]["review"] == {
        "rating": 5,
        "order": {"id": str(orders[4].id)},
        "customer": {"id": str(other.id)},
    }
    assert payload["data"]["pending"]["review"] is None


async def test_a_reviews_key_cannot_follow_a_review_to_its_order_or_customer(gql, session, reviewed):
    shop, *_ = reviewed
    key = await create_key(session, shop.store, scopes=(Scope.REVIEWS_READ,))
    await session.commit()

    payload = await gql.query("{ reviews(first: 1) { nodes { rating customer { id } } } }", headers=key.headers)

    assert payload["data"]["reviews"]["nodes"] == [{"rating": 5, "customer": None}]
    assert payload["errors"][0]["extensions"]["code"] == "insufficient_scope"
    assert "customers:read" in payload["errors"][0]["message"]


async def test_an_orders_key_cannot_read_an_orders_review(gql, session, reviewed):
    shop, _other, orders, _reviews = reviewed
    key = await create_key(session, shop.store, scopes=(Scope.ORDERS_READ,))
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { order(id: $id) { id review { rating } } }", {"id": str(orders[0].id)}, headers=key.headers
    )

    assert payload["data"]["order"] == {"id": str(orders[0].id), "review": None}
    assert "reviews:read" in payload["errors"][0]["message"]


COMPILED = (
    "query($customer: ID!) { reviews(first: 10, filter: {minRating: 2}) { totalCount nodes { id rating comment "
    "isApproved response { text respondedBy } order { id status review { id } } customer { id firstName } } "
    "pageInfo { hasNextPage endCursor } } reviewStats { totalReviews averageRating ratingDistribution { rating "
    "count } } customer(id: $customer) { reviews(first: 3) { nodes { id rating } } } }"
)


async def test_a_reviews_query_runs_compiled_with_the_standard_answer(app, client, reviewed, count_statements):
    shop, *_ = reviewed
    body = {"query": COMPILED, "variables": {"customer": str(shop.customer.id)}}
    await client.post("/graphql", json=body, headers=shop.key.headers)  # the key's last use is fresh from here
    counts = compiled_of(app).counts
    before = dataclasses.replace(counts)

    with count_statements() as compiled_statements:
        compiled = answer(await client.post("/graphql", json=body, headers=shop.key.headers))
    with standard_only(app), count_statements() as standard_statements:
        standard = answer(await client.post("/graphql", json=body, headers=shop.key.headers))

    assert compiled == standard
    assert b'"errors"' not in compiled
    assert counts.compiled == before.compiled + 1
    assert (counts.fell_back, counts.not_covered) == (before.fell_back, before.not_covered)
    assert compiled_statements.count <= standard_statements.count


async def test_a_review_list_costs_the_same_statements_for_one_review_as_for_many(gql, session, count_statements):
    """No N+1: a page's order, customer and response are loaded per level."""
    few = await make_shop(session, delivered=1)
    many = await make_shop(session, delivered=8)
    for shop in (few, many):
        for order in shop.delivered:
            await create_review(session, shop.store, order)
    await session.commit()
    query = "{ reviews(first: 50) { nodes { id response { text } order { id } customer { id } } } }"
    statements = []
    for shop in (few, many):
        await gql.query(query, headers=shop.key.headers)
        with count_statements() as counter:
            payload = await gql.query(query, headers=shop.key.headers)
        assert "errors" not in payload, payload
        statements.append(counter.count)

    assert statements[0] == statements[1]


def test_review_fields_are_costed_like_every_other_field():
    """Connections by page size, relations as objects, the stats and a response as one object each."""
    assert cost("{ reviews(first: 10) { nodes { id response { text } order { id } customer { id } } } }") == 1 + 10 * 4
    assert cost("{ reviewStats { totalReviews ratingDistribution { rating count } } }") == 2
    assert cost("{ customers(first: 5) { nodes { reviews(first: 3) { nodes { id } } } } }") == 1 + 5 * (1 + 1 + 3)
    assert cost('{ order(id: "1") { review { rating } } }') == 2

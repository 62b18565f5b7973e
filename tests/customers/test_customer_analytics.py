"""Customer.analytics and GET /v1/customers/{id}/analytics: every rule of docs/crm.md ("Analytics") through GraphQL
and /v1, tenant isolation, scopes and refused input, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storegraph.platform.auth.scopes import Scope
from tests.support.analytics import Line, add_order
from tests.support.factories import create_customer, create_key, create_product, create_store

BASE = datetime(2026, 3, 1, 10, 0, 0)
FIGURES = "totalOrders totalSpent averageOrder firstOrderAt lastOrderAt ordersByStatus { status count }"
TOP = "topProducts { productId productName quantity orderCount }"
ANALYTICS = f"query($id: ID!) {{ customer(id: $id) {{ analytics {{ {FIGURES} {TOP} }} }} }}"
TOP_WITH_LIMIT = (
    "query($id: ID!, $limit: Int) { customer(id: $id) { analytics { "
    "topProducts(limit: $limit) { productId productName quantity orderCount } } } }"
)
STATUS_NAMES = ("PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED")
ZERO_STATUSES = [{"status": status, "count": 0} for status in STATUS_NAMES]


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    await session.commit()
    return store, key, customer


async def analytics_of(gql, key, customer_id, document=ANALYTICS, **variables):
    payload = await gql.query(document, {"id": str(customer_id), **variables}, headers=key.headers)
    assert "errors" not in payload, payload
    return payload["data"]["customer"]["analytics"]


def statuses(**counts: int) -> list[dict[str, object]]:
    return [{"status": status, "count": counts.get(status.lower(), 0)} for status in STATUS_NAMES]


# --- figures ----------------------------------------------------------------------------------------------------


async def test_a_customer_without_orders_has_zero_totals_null_average_and_times_and_every_status_at_zero(gql, shop):
    _store, key, customer = shop

    analytics = await analytics_of(gql, key, customer.id)

    assert analytics == {
        "totalOrders": 0,
        "totalSpent": 0,
        "averageOrder": None,
        "firstOrderAt": None,
        "lastOrderAt": None,
        "ordersByStatus": ZERO_STATUSES,
        "topProducts": [],
    }


async def test_totals_first_and_last_order_come_from_the_orders(gql, session, shop):
    store, key, customer = shop
    await add_order(session, store, customer, total=2000, status="delivered", created_at=BASE)
    await add_order(session, store, customer, total=3000, status="shipped", created_at=BASE + timedelta(days=3))
    await add_order(session, store, customer, total=1000, status="pending", created_at=BASE + timedelta(days=1))
    await session.commit()

    analytics = await analytics_of(gql, key, customer.id)

    assert analytics["totalOrders"] == 3
    assert analytics["totalSpent"] == 6000
    assert analytics["averageOrder"] == 2000
    assert analytics["firstOrderAt"] == "2026-03-01T10:00:00Z"
    assert analytics["lastOrderAt"] == "2026-03-04T10:00:00Z"


async def test_cancelled_orders_count_in_orders_by_status_only(gql, session, shop):
    store, key, customer = shop
    robe = await create_product(session, store)
    await add_order(session, store, customer, total=1000, status="confirmed", created_at=BASE + timedelta(days=1))
    await add_order(session, store, customer, total=9000, status="cancelled", created_at=BASE, lines=(Line(robe, 9),))
    await add_order(session, store, customer, total=9000, status="cancelled", created_at=BASE + timedelta(days=9))
    await session.commit()

    analytics = await analytics_of(gql, key, customer.id)

    assert analytics == {
        "totalOrders": 1,
        "totalSpent": 1000,
        "averageOrder": 1000,
        "firstOrderAt": "2026-03-02T10:00:00Z",
        "lastOrderAt": "2026-03-02T10:00:00Z",
        "ordersByStatus": statuses(confirmed=1, cancelled=2),
        "topProducts": [],
    }


async def test_only_cancelled_orders_leave_totals_at_zero_and_the_average_null(gql, session, shop):
    store, key, customer = shop
    await add_order(session, store, customer, total=5000, status="cancelled", created_at=BASE)
    await session.commit()

    analytics = await analytics_of(gql, key, customer.id)

    assert (analytics["totalOrders"], analytics["totalSpent"], analytics["averageOrder"]) == (0, 0, None)
    assert (analytics["firstOrderAt"], analytics["lastOrderAt"]) == (None, None)
    assert analytics["ordersByStatus"] == statuses(cancelled=1)


@pytest.mark.parametrize(
    ("totals", "average"),
    [
        ((1000, 1001), 1001),  # 1000.5: half goes up
        ((1000, 1000, 1001), 1000),  # 1000.33
        ((1000, 1001, 1001), 1001),  # 1000.67
        ((1, 2, 2, 2), 2),  # 1.75
        ((999_999_999_999, 1_000_000_000_000), 1_000_000_000_000),  # beyond 32 bits, exact
    ],
)
async def test_the_average_order_is_rounded_half_up_to_a_whole_amount(gql, session, shop, totals, average):
    store, key, customer = shop
    for number, total in enumerate(totals):
        await add_order(session, store, customer, total=total, created_at=BASE + timedelta(minutes=number))
    await session.commit()

    analytics = await analytics_of(gql, key, customer.id)

    assert analytics["averageOrder"] == average
    assert analytics["totalSpent"] == sum(totals)


async def test_orders_by_status_lists_every_status_in_the_order_of_the_status_machine(gql, session, shop):
    store, key, customer = shop
    for number, status in enumerate(("delivered", "pending", "delivered", "shipped")):
        await add_order(session, store, customer, total=100, status=status, created_at=BASE + timedelta(hours=number))
    await session.commit()

    analytics = await analytics_of(gql, key, customer.id)

    assert analytics["ordersByStatus"] == statuses(pending=1, shipped=1, delivered=2)


# --- top products -------------------------------------------------------------------------------------------------


async def test_top_products_rank_by_quantity_then_orders_then_the_product_bought_last(gql, session, shop):
    store, key, customer = shop
    robe, scarf, shoes, belt = [
        await create_product(session, store, name=name) for name in ("Robe", "Scarf", "Shoes", "Belt")
    ]
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(robe, 5), Line(scarf, 2)))
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(scarf, 3), Line(belt, 2)))
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(shoes, 2), Line(belt, 1)))
    await session.commit()

    analytics = await analytics_of(gql, key, customer.id)

    # Robe 5 in 1 order; Scarf 5 in 2 orders (ahead); Belt 3 and Shoes 2.
    assert [(entry["productName"], entry["quantity"], entry["orderCount"]) for entry in analytics["topProducts"]] == [
        ("Scarf", 5, 2),
        ("Robe", 5, 1),
        ("Belt", 3, 2),
        ("Shoes", 2, 1),
    ]
    assert analytics["topProducts"][0]["productId"] == str(scarf.id)


async def test_of_products_tied_on_quantity_and_orders_the_one_bought_last_comes_first(gql, session, shop):
    store, key, customer = shop
    robe, scarf = await create_product(session, store, name="Robe"), await create_product(session, store, name="Scarf")
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(robe, 1),))
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(scarf, 1),))
    await session.commit()

    analytics = await analytics_of(gql, key, customer.id)

    assert [entry["productName"] for entry in analytics["topProducts"]] == ["Scarf", "Robe"]


async def test_top_products_take_five_by_default_and_the_limit_asked_for(gql, session, shop):
    store, key, customer = shop
    products = [await create_product(session, store, name=f"P{number}") for number in range(7)]
    lines = tuple(Line(product, 10 - number) for number, product in enumerate(products))
    await add_order(session, store, customer, total=1, created_at=BASE, lines=lines)
    await session.commit()

    default = await analytics_of(gql, key, customer.id, TOP_WITH_LIMIT)
    two = await analytics_of(gql, key, customer.id, TOP_WITH_LIMIT, limit=2)
    null = await analytics_of(gql, key, customer.id, TOP_WITH_LIMIT, limit=None)
    fifty = await analytics_of(gql, key, customer.id, TOP_WITH_LIMIT, limit=50)

    assert [entry["productName"] for entry in default["topProducts"]] == ["P0", "P1", "P2", "P3", "P4"]
    assert [entry["productName"] for entry in two["topProducts"]] == ["P0", "P1"]
    assert null == default
    assert len(fifty["topProducts"]) == 7


async def test_a_deleted_product_keeps_its_copied_name_with_a_null_product(gql, session, shop):
    store, key, customer = shop
    robe = await create_product(session, store, name="Robe")
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(robe, 2, name="Robe kabyle"),))
    await session.commit()
    deleted = await gql.query(
        "mutation($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }",
        {"id": str(robe.id)},
        headers=key.headers,
    )
    assert deleted["data"]["deleteProduct"]["deletedId"] == str(robe.id), deleted

    payload = await gql.query(
        "query($id: ID!) { customer(id: $id) { analytics { topProducts { product { id name } productId productName "
        "quantity orderCount } } } }",
        {"id": str(customer.id)},
        headers=key.headers,
    )

    assert payload["data"]["customer"]["analytics"]["topProducts"] == [
        {"product": None, "productId": None, "productName": "Robe kabyle", "quantity": 2, "orderCount": 1}
    ]


async def test_a_live_product_is_one_entry_whatever_names_its_lines_copied_and_shows_the_latest(gql, session, shop):
    store, key, customer = shop
    robe = await create_product(session, store, name="Robe")
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(robe, 1, name="Old robe"),))
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(robe, 2, name="New robe"),))
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(None, 1, name="Old robe"),))
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { customer(id: $id) { analytics { topProducts { product { id name } productName quantity "
        "orderCount } } } }",
        {"id": str(customer.id)},
        headers=key.headers,
    )

    assert payload["data"]["customer"]["analytics"]["topProducts"] == [
        {"product": {"id": str(robe.id), "name": "Robe"}, "productName": "New robe", "quantity": 3, "orderCount": 2},
        {"product": None, "productName": "Old robe", "quantity": 1, "orderCount": 1},
    ]


@pytest.mark.parametrize("limit", [0, -1, 51, 1000])
async def test_a_top_products_limit_out_of_1_to_50_is_a_validation_error(gql, shop, limit):
    _store, key, customer = shop

    payload = await gql.query(TOP_WITH_LIMIT, {"id": str(customer.id), "limit": limit}, headers=key.headers)

    [error] = payload["errors"]
    assert error["extensions"]["code"] == "validation_error"
    assert "between 1 and 50" in error["message"]
    assert payload["data"]["customer"] is None


# --- tenants and scopes -------------------------------------------------------------------------------------------


async def test_another_stores_customer_is_not_found(gql, session, shop):
    _store, key, _customer = shop
    other_store = await create_store(session)
    stranger = await create_customer(session, other_store)
    await add_order(session, other_store, stranger, total=500, created_at=BASE)
    await session.commit()

    payload = await gql.query(ANALYTICS, {"id": str(stranger.id)}, headers=key.headers)

    assert payload["data"]["customer"] is None
    assert payload["errors"][0]["extensions"]["code"] == "not_found"


async def test_another_stores_orders_are_never_counted(gql, session, shop):
    store, key, customer = shop
    other_store = await create_store(session)
    foreign = await create_product(session, other_store)
    await add_order(session, store, customer, total=700, status="pending", created_at=BASE)
    # A row no checkout writes (an order of one store naming another store's customer): still not counted.
    await add_order(
        session, other_store, customer, total=99_000, status="shipped", created_at=BASE, lines=(Line(foreign, 4),)
    )
    await session.commit()

    analytics = await analytics_of(gql, key, customer.id)

    assert (analytics["totalOrders"], analytics["totalSpent"]) == (1, 700)
    assert analytics["ordersByStatus"] == statuses(pending=1)
    assert analytics["topProducts"] == []


async def test_a_key_without_customers_read_cannot_read_analytics(gql, session, shop):
    store, _key, customer = shop
    orders_only = await create_key(session, store, scopes=(Scope.ORDERS_READ,))
    await session.commit()

    payload = await gql.query(ANALYTICS, {"id": str(customer.id)}, headers=orders_only.headers)

    assert payload["errors"][0]["extensions"]["code"] == "insufficient_scope"


async def test_a_top_products_product_needs_products_read_the_rest_does_not(gql, session, shop):
    store, _key, customer = shop
    robe = await create_product(session, store)
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(robe, 1),))
    customers_only = await create_key(session, store, scopes=(Scope.CUSTOMERS_READ,))
    await session.commit()

    without = await gql.query(
        "query($id: ID!) { customer(id: $id) { analytics { topProducts { productId product { id } } } } }",
        {"id": str(customer.id)},
        headers=customers_only.headers,
    )
    plain = await analytics_of(gql, customers_only, customer.id)

    assert without["errors"][0]["extensions"]["code"] == "insufficient_scope"
    assert plain["topProducts"][0]["productId"] == str(robe.id)


# --- /v1 ----------------------------------------------------------------------------------------------------------


async def test_v1_answers_the_graphql_figures_in_snake_case(client, gql, session, shop):
    store, key, customer = shop
    robe = await create_product(session, store, name="Robe")
    await add_order(session, store, customer, total=1000, status="delivered", created_at=BASE, lines=(Line(robe, 2),))
    await add_order(session, store, customer, total=1001, status="cancelled", created_at=BASE + timedelta(days=1))
    await session.commit()

    response = await client.get(f"/v1/customers/{customer.id}/analytics", headers=key.headers)

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "total_orders": 1,
        "total_spent": 1000,
        "average_order": 1000,
        "first_order_at": "2026-03-01 10:00:00",
        "last_order_at": "2026-03-01 10:00:00",
        "orders_by_status": [
            {"status": status, "count": int(status in ("delivered", "cancelled"))}
            for status in ("pending", "confirmed", "shipped", "delivered", "cancelled")
        ],
        "top_products": [{"product_id": robe.id, "product_name": "Robe", "quantity": 2, "order_count": 1}],
    }


async def test_v1_top_products_limit_cuts_the_list(client, session, shop):
    store, key, customer = shop
    lines = tuple([Line(await create_product(session, store), quantity) for quantity in (3, 2, 1)])
    await add_order(session, store, customer, total=1, created_at=BASE, lines=lines)
    await session.commit()

    response = await client.get(f"/v1/customers/{customer.id}/analytics?top_products_limit=2", headers=key.headers)

    assert [entry["quantity"] for entry in response.json()["data"]["top_products"]] == [3, 2]


async def test_v1_a_customer_without_orders_has_the_empty_figures(client, shop):
    _store, key, customer = shop

    response = await client.get(f"/v1/customers/{customer.id}/analytics", headers=key.headers)

    data = response.json()["data"]
    assert (data["total_orders"], data["total_spent"], data["average_order"]) == (0, 0, None)
    assert (data["first_order_at"], data["last_order_at"], data["top_products"]) == (None, None, [])


@pytest.mark.parametrize("value", ["0", "51", "abc", "2.5"])
async def test_v1_a_top_products_limit_out_of_range_is_refused(client, shop, value):
    _store, key, customer = shop

    response = await client.get(
        f"/v1/customers/{customer.id}/analytics?top_products_limit={value}", headers=key.headers
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["field"] == "top_products_limit"


async def test_v1_another_stores_customer_is_not_found(client, session, shop):
    _store, key, _customer = shop
    stranger = await create_customer(session, await create_store(session))
    await session.commit()

    response = await client.get(f"/v1/customers/{stranger.id}/analytics", headers=key.headers)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_v1_analytics_needs_customers_read_and_nothing_more(client, session, shop):
    store, _key, customer = shop
    robe = await create_product(session, store)
    await add_order(session, store, customer, total=1, created_at=BASE, lines=(Line(robe, 1),))
    customers_only = await create_key(session, store, scopes=(Scope.CUSTOMERS_READ,))
    orders_only = await create_key(session, store, scopes=(Scope.ORDERS_READ,))
    await session.commit()

    allowed = await client.get(f"/v1/customers/{customer.id}/analytics", headers=customers_only.headers)
    refused = await client.get(f"/v1/customers/{customer.id}/analytics", headers=orders_only.headers)

    assert allowed.status_code == 200, allowed.text
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"

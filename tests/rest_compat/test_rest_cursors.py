"""Cursor pagination on every /v1 list, the same cursors on GraphQL, and the lists' filters.

Every list row of the endpoint table is walked two at a time (``test_every_list_row_is_walked`` fails when a list
row is added without an arrangement here). The rows of each list have distinct creation times, so "newest first"
is one exact order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from db.models import ApiKey, Store, WebhookDelivery
from rest_compat.table import ENDPOINTS
from tests.support.factories import (
    Key,
    backdate,
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_review,
    create_store,
    create_webhook_subscription,
)
from tests.support.ledgers import ledger_entries

BASE = datetime(2026, 4, 30, 10, 15, 0)
LEDGER_HEAD = {"balance", "limit", "enabled"}
MAX_PAGES = 20

# The REST path of each list row (``{customer}``, ``{webhook}``: the catalogue's) and the same list in GraphQL.
LISTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ListProducts": ("/v1/products", "products(first: $first, after: $after)", ("products",)),
    "ListOrders": ("/v1/orders", "orders(first: $first, after: $after)", ("orders",)),
    "ListCustomers": ("/v1/customers", "customers(first: $first, after: $after)", ("customers",)),
    "ListCustomerOrders": (
        "/v1/customers/{customer}/orders",
        "customer(id: $id) { orders(first: $first, after: $after)",
        ("customer", "orders"),
    ),
    "GetCustomerLoyalty": (
        "/v1/customers/{customer}/loyalty",
        "customer(id: $id) { loyaltyTransactions(first: $first, after: $after)",
        ("customer", "loyaltyTransactions"),
    ),
    "GetCustomerHouseAccount": (
        "/v1/customers/{customer}/house-account",
        "customer(id: $id) { houseAccountTransactions(first: $first, after: $after)",
        ("customer", "houseAccountTransactions"),
    ),
    "ListLandingPages": ("/v1/landing-pages", "landingPages(first: $first, after: $after)", ("landingPages",)),
    "ListKeys": ("/v1/keys", "apiKeys(first: $first, after: $after)", ("apiKeys",)),
    "ListWebhooks": ("/v1/webhooks", "webhookSubscriptions(first: $first, after: $after)", ("webhookSubscriptions",)),
    "ListWebhookDeliveries": (
        "/v1/webhooks/{webhook}/deliveries",
        "webhookDeliveries(subscriptionId: $id, first: $first, after: $after)",
        ("webhookDeliveries",),
    ),
    "ListReviews": ("/v1/reviews", "reviews(first: $first, after: $after)", ("reviews",)),
}


@dataclass
class Catalogue:
    store: Store
    key: Key
    # Each list's ids, newest first.
    expected: dict[str, list[int]]
    customer_id: int
    webhook_id: int
    order_times: dict[int, datetime]
    order_statuses: dict[int, str]
    product_statuses: dict[int, str]
    product_names: dict[int, str]

    def path(self, name: str) -> str:
        return LISTS[name][0].format(customer=self.customer_id, webhook=self.webhook_id)

    def graphql_id(self, name: str) -> str | None:
        if name in ("ListCustomerOrders", "GetCustomerLoyalty", "GetCustomerHouseAccount"):
            return str(self.customer_id)
        if name == "ListWebhookDeliveries":
            return str(self.webhook_id)
        return None


def _newest_first(rows: list[Any]) -> list[int]:
    return [row.id for row in sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)]


PRODUCTS = [
    ("Cotton T-Shirt", "TS-COT-001", "active"),
    ("Linen Shirt", "LIN-002", "draft"),
    ("Wool Scarf", "WOO-003", "archived"),
    ("Cotton Socks", "SOC-004", "active"),
    ("Denim Jacket", "DEN-005", "draft"),
]
# The first customer's orders, two minutes apart from BASE, and one order of another customer in between.
ORDER_STATUSES = ["pending", "confirmed", "pending", "shipped", "cancelled"]


@pytest.fixture
async def catalogue(session) -> Catalogue:
    store = await create_store(session)
    key = await create_key(session, store)
    products = [
        await create_product(session, store, name=name, sku=sku, status=status, created_at=BASE + timedelta(minutes=i))
        for i, (name, sku, status) in enumerate(PRODUCTS)
    ]
    customers = [
        await create_customer(
            session,
            store,
            phone=f"055512345{i}",
            email=["sara@example.com", "Sara@Example.com", None, "amine@example.com", None][i],
            created_at=BASE + timedelta(minutes=i),
        )
        for i in range(5)
    ]
    first, second = customers[0], customers[1]
    customer_orders = [
        await create_order(
            session, store, first, [(products[0], 1)], status=status, created_at=BASE + timedelta(minutes=2 * i)
        )
        for i, status in enumerate(ORDER_STATUSES)
    ]
    other_order = await create_order(session, store, second, [(products[1], 1)], created_at=BASE + timedelta(minutes=3))
    # Delivered orders of a third customer, each reviewed, placed the day before the others (whose times the
    # orders' filters are tested with).
    reviewed = [
        await create_order(
            session,
            store,
            customers[2],
            [(products[0], 1)],
            status="delivered",
            created_at=BASE - timedelta(days=1, minutes=i),
        )
        for i in range(5)
    ]
    reviews = [
        await create_review(session, store, order, rating=1 + i, created_at=BASE + timedelta(minutes=i))
        for i, order in enumerate(reviewed)
    ]
    orders = [*customer_orders, other_order, *reviewed]
    pages = [await create_landing_page(session, store, title=f"Page {i}") for i in range(5)]
    for i, page in enumerate(pages):
        await backdate(session, page, BASE + timedelta(minutes=i))
    keys = [key, *[await create_key(session, store) for _ in range(4)]]
    key_rows = []
    for i, made in enumerate(keys):
        row = await session.get(ApiKey, made.id)
        await backdate(session, row, BASE + timedelta(minutes=10 - i))
        key_rows.append(row)
    webhooks = [
        await create_webhook_subscription(session, store, created_at=BASE + timedelta(minutes=i)) for i in range(5)
    ]
    deliveries = [
        WebhookDelivery(
            store_id=store.id,
            subscription_id=webhooks[0].id,
            delivery_id=f"dlv_{i}",
            event_id=f"evt_{i}",
            event="order.created",
            attempt=1,
            succeeded=i % 2 == 0,
            response_status=200 if i % 2 == 0 else 500,
            duration_ms=40,
            created_at=BASE + timedelta(minutes=i),
        )
        for i in range(5)
    ]
    stray = WebhookDelivery(
        store_id=store.id,
        subscription_id=webhooks[1].id,
        delivery_id="dlv_other",
        event_id="evt_other",
        event="order.created",
        created_at=BASE,
    )
    # Each ledger of the first customer, and one entry of the second's in between that its lists never show.
    loyalty, house, others = ledger_entries(store.id, first.id, second.id, BASE)
    session.add_all([*deliveries, stray, *loyalty, *house, *others])
    await session.flush()
    await session.commit()
    return Catalogue(
        store=store,
        key=key,
        expected={
            "ListProducts": _newest_first(products),
            "ListOrders": _newest_first(orders),
            "ListCustomers": _newest_first(customers),
            "ListCustomerOrders": _newest_first(customer_orders),
            "GetCustomerLoyalty": _newest_first(loyalty),
            "GetCustomerHouseAccount": _newest_first(house),
            "ListLandingPages": _newest_first(pages),
            "ListKeys": _newest_first(key_rows),
            "ListWebhooks": _newest_first(webhooks),
            "ListWebhookDeliveries": _newest_first(deliveries),
            "ListReviews": _newest_first(reviews),
        },
        customer_id=first.id,
        webhook_id=webhooks[0].id,
        order_times={order.id: order.created_at for order in orders},
        order_statuses={order.id: order.status for order in orders},
        product_statuses={product.id: product.status for product in products},
        product_names={product.id: product.name for product in products},
    )


async def walk(client, key: Key, path: str, *, limit: int = 2, params: dict[str, Any] | None = None) -> list[int]:
    """Every id of a list, page by page, checking each page's size and that ``has_more`` and ``next_cursor`` agree."""
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        query: dict[str, Any] = {**(params or {}), "limit": limit}
        if cursor is not None:
            query["cursor"] = cursor
        response = await client.get(path, params=query, headers=key.headers)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        # A ledger's list heads its page with the balance (and the account's limit and switch).
        assert set(data) - LEDGER_HEAD == {"items", "next_cursor", "has_more"}
        assert len(data["items"]) <= limit
        seen.extend(item["id"] for item in data["items"])
        assert data["has_more"] == (data["next_cursor"] is not None)
        if not data["has_more"]:
            return seen
        assert len(data["items"]) == limit, "a page that has more is full"
        cursor = data["next_cursor"]
    raise AssertionError(f"{path}: still has_more after {MAX_PAGES} pages")


# --- walking every list ------------------------------------------------------------------------------------------


def test_every_list_row_is_walked():
    assert set(LISTS) == {row.name for row in ENDPOINTS if row.result_kind == "list"}


@pytest.mark.parametrize("name", list(LISTS))
async def test_walking_a_list_two_at_a_time_sees_every_item_once_newest_first(client, catalogue, name):
    seen = await walk(client, catalogue.key, catalogue.path(name))

    assert seen == catalogue.expected[name]


@pytest.mark.parametrize("name", list(LISTS))
async def test_a_list_without_limit_is_one_page_of_up_to_50(client, catalogue, name):
    response = await client.get(catalogue.path(name), headers=catalogue.key.headers)

    data = response.json()["data"]
    assert [item["id"] for item in data["items"]] == catalogue.expected[name]
    assert (data["next_cursor"], data["has_more"]) == (None, False)


async def test_the_largest_page_is_200(client, catalogue):
    response = await client.get("/v1/customers?limit=200", headers=catalogue.key.headers)

    assert response.status_code == 200
    assert len(response.json()["data"]["items"]) == 5


async def test_a_page_of_exactly_the_rest_has_no_more(client, catalogue):
    response = await client.get("/v1/products?limit=5", headers=catalogue.key.headers)

    data = response.json()["data"]
    assert len(data["items"]) == 5
    assert (data["next_cursor"], data["has_more"]) == (None, False)


async def test_a_cursor_can_be_used_again(client, catalogue):
    first = await client.get("/v1/customers?limit=2", headers=catalogue.key.headers)
    cursor = first.json()["data"]["next_cursor"]

    again = [
        await client.get("/v1/customers", params={"limit": 2, "cursor": cursor}, headers=catalogue.key.headers)
        for _ in range(2)
    ]

    assert again[0].json()["data"] == again[1].json()["data"]
    assert [item["id"] for item in again[0].json()["data"]["items"]] == catalogue.expected["ListCustomers"][2:4]


async def test_a_row_created_after_the_first_page_does_not_shift_the_next_pages(client, session, catalogue):
    first = await client.get("/v1/products?limit=2", headers=catalogue.key.headers)
    await create_product(session, catalogue.store)
    await session.commit()

    second = await client.get(
        "/v1/products",
        params={"limit": 2, "cursor": first.json()["data"]["next_cursor"]},
        headers=catalogue.key.headers,
    )

    assert [item["id"] for item in second.json()["data"]["items"]] == catalogue.expected["ListProducts"][2:4]


# --- the same cursors on GraphQL ---------------------------------------------------------------------------------


def graphql_page(name: str) -> tuple[str, tuple[str, ...]]:
    _, selection, path = LISTS[name]
    variables = "$first: Int!, $after: String" + (", $id: ID!" if "$id" in selection else "")
    closing = "}" * (selection.count("{") - selection.count("}"))
    document = (
        f"query({variables}) {{ {selection} {{ nodes {{ id }} pageInfo {{ hasNextPage endCursor }} }} {closing} }}"
    )
    return document, path


async def graphql_list(gql, catalogue: Catalogue, name: str, after: str | None) -> dict[str, Any]:
    document, path = graphql_page(name)
    variables: dict[str, Any] = {"first": 2, "after": after}
    if catalogue.graphql_id(name) is not None:
        variables["id"] = catalogue.graphql_id(name)
    payload = await gql.query(document, variables, headers=catalogue.key.headers)
    assert "errors" not in payload, payload
    connection: dict[str, Any] = payload["data"]
    for field in path:
        connection = connection[field]
    return connection


@pytest.mark.parametrize("name", list(LISTS))
async def test_a_rest_next_cursor_works_as_graphql_after_on_the_same_list(client, gql, catalogue, name):
    page = await client.get(catalogue.path(name), params={"limit": 2}, headers=catalogue.key.headers)
    cursor = page.json()["data"]["next_cursor"]

    connection = await graphql_list(gql, catalogue, name, after=cursor)

    assert [int(node["id"]) for node in connection["nodes"]] == catalogue.expected[name][2:4]


@pytest.mark.parametrize("name", list(LISTS))
async def test_a_graphql_end_cursor_works_as_the_rest_cursor_on_the_same_list(client, gql, catalogue, name):
    connection = await graphql_list(gql, catalogue, name, after=None)
    cursor = connection["pageInfo"]["endCursor"]

    page = await client.get(catalogue.path(name), params={"limit": 2, "cursor": cursor}, headers=catalogue.key.headers)

    assert page.status_code == 200, page.text
    assert [item["id"] for item in page.json()["data"]["items"]] == catalogue.expected[name][2:4]


async def test_a_rest_customers_cursor_continues_graphql_customers_first_2(client, gql, catalogue):
    """The issue's own example: ``customers(first: 2, after: $cursor)``."""
    page = await client.get("/v1/customers?limit=2", headers=catalogue.key.headers)

    payload = await gql.query(
        "query($cursor: String) { customers(first: 2, after: $cursor) { nodes { id } } }",
        {"cursor": page.json()["data"]["next_cursor"]},
        headers=catalogue.key.headers,
    )

    assert [int(node["id"]) for node in payload["data"]["customers"]["nodes"]] == catalogue.expected["ListCustomers"][
        2:4
    ]


# --- products: status and q --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["active", "draft", "archived"])
async def test_products_filtered_by_status_are_only_that_status_newest_first(client, catalogue, status):
    seen = await walk(client, catalogue.key, "/v1/products", params={"status": status})

    assert seen == [i for i in catalogue.expected["ListProducts"] if catalogue.product_statuses[i] == status]
    assert seen


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("cotton", ["Cotton Socks", "Cotton T-Shirt"]),
        ("COTTON", ["Cotton Socks", "Cotton T-Shirt"]),
        ("shirt", ["Linen Shirt", "Cotton T-Shirt"]),
        ("WOO-003", ["Wool Scarf"]),
        ("velvet", []),
    ],
)
async def test_products_filtered_by_q_match_name_or_sku_ignoring_case(client, catalogue, q, names):
    seen = await walk(client, catalogue.key, "/v1/products", params={"q": q})

    assert [catalogue.product_names[i] for i in seen] == names


async def test_products_filters_combine(client, catalogue):
    seen = await walk(client, catalogue.key, "/v1/products", params={"q": "cotton", "status": "active"})

    assert [catalogue.product_names[i] for i in seen] == ["Cotton Socks", "Cotton T-Shirt"]


# --- orders: status, since, customer_id --------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "confirmed", "shipped", "cancelled", "delivered"])
async def test_orders_filtered_by_status_are_only_that_status_newest_first(client, catalogue, status):
    seen = await walk(client, catalogue.key, "/v1/orders", params={"status": status})

    assert seen == [i for i in catalogue.expected["ListOrders"] if catalogue.order_statuses[i] == status]


@pytest.mark.parametrize(
    "since",
    [
        "2026-04-30 10:17:00",
        "2026-04-30T10:17:00",
        "2026-04-30T10:17:00Z",
        "2026-04-30T10:17:00+00:00",
        "2026-04-30T11:17:00+01:00",
    ],
)
async def test_orders_since_are_those_created_at_or_after_it_in_either_spelling(client, catalogue, since):
    seen = await walk(client, catalogue.key, "/v1/orders", params={"since": since})

    moment = datetime(2026, 4, 30, 10, 17, 0)
    assert seen == [i for i in catalogue.expected["ListOrders"] if catalogue.order_times[i] >= moment]
    assert len(seen) == 5


async def test_orders_since_a_moment_after_the_last_are_none(client, catalogue):
    seen = await walk(client, catalogue.key, "/v1/orders", params={"since": "2026-04-30 10:23:01"})

    assert seen == []


async def test_orders_filtered_by_customer_id_are_that_customers(client, catalogue):
    seen = await walk(client, catalogue.key, "/v1/orders", params={"customer_id": catalogue.customer_id})

    assert seen == catalogue.expected["ListCustomerOrders"]


async def test_orders_filters_combine(client, catalogue):
    seen = await walk(
        client, catalogue.key, "/v1/orders", params={"customer_id": catalogue.customer_id, "status": "pending"}
    )

    assert seen == [i for i in catalogue.expected["ListCustomerOrders"] if catalogue.order_statuses[i] == "pending"]
    assert len(seen) == 2


async def test_orders_of_another_stores_customer_are_none(client, session, catalogue):
    other = await create_store(session)
    stranger = await create_customer(session, other)
    await create_order(session, other, stranger, [(await create_product(session, other), 1)])
    await session.commit()

    seen = await walk(client, catalogue.key, "/v1/orders", params={"customer_id": stranger.id})

    assert seen == []


# --- customers: phone and email ----------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["0555123452", "+213555123452", "0555 12 34 52", "00213555123452"])
async def test_customers_filtered_by_phone_match_after_normalisation(client, catalogue, phone):
    response = await client.get("/v1/customers", params={"phone": phone}, headers=catalogue.key.headers)

    items = response.json()["data"]["items"]
    assert [item["phone"] for item in items] == ["0555123452"]


@pytest.mark.parametrize("phone", ["055512345", "0555123459", "555"])
async def test_customers_filtered_by_phone_are_exact_not_a_prefix(client, catalogue, phone):
    response = await client.get("/v1/customers", params={"phone": phone}, headers=catalogue.key.headers)

    assert response.json()["data"]["items"] == []


@pytest.mark.parametrize(
    ("email", "found"),
    [
        ("sara@example.com", ["sara@example.com"]),
        ("Sara@Example.com", ["Sara@Example.com"]),
        ("SARA@EXAMPLE.COM", []),
        ("example.com", []),
        ("sara@example.co", []),
    ],
)
async def test_customers_filtered_by_email_match_exactly_and_case_sensitively(client, catalogue, email, found):
    response = await client.get("/v1/customers", params={"email": email}, headers=catalogue.key.headers)

    assert [item["email"] for item in response.json()["data"]["items"]] == found

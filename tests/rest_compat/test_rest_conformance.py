"""Every request/response example of the documentation (seeds 004 and 000), replayed against the app.

The values differ (our ids, names and times), the *shape* may not: the same field names and nesting, the same JSON
types. ``shape_problems`` compares a seed's JSON with ours: where the seed shows an object its keys must all be in
ours, where it shows a list each of our items must have the shape of its first item, and a ``null`` in the seed
matches anything (the seed does not say the field's type). Our objects carry a few fields the seeds do not show;
each test names them (``extra_fields``) so that a new one is a decision, not an accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from db.models import Customer, Order, Store
from tests.support.factories import (
    Key,
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_store,
    create_webhook_subscription,
)

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
BASE = datetime(2026, 4, 30, 10, 15, 0)

# --- the seeds' examples, verbatim -------------------------------------------------------------------------------

SEED_004_CREATE_PRODUCT_BODY = orjson.loads(
    """{
"name": "Cotton T-Shirt",
"price": 1500,
"description": "100% cotton, made in Algeria",
"sku": "TS-COT-001",
"stock_quantity": 50,
"track_stock": true,
"status": "active"
}"""
)

SEED_004_CREATED_PRODUCT = orjson.loads(
    """{
"data": {
"id": 42,
"name": "Cotton T-Shirt",
"slug": "cotton-t-shirt",
"pricing": { "price": 1500, "compare_price": null, "cost_price": null },
"inventory": { "sku": "TS-COT-001", "track_stock": true, "stock_quantity": 50, "low_stock_alert": 5 },
"status": "active",
"created_at": "2026-04-30 14:22:10"
},
"meta": { "request_id": "abc123def4", "api_version": "v1" }
}"""
)

SEED_004_ORDERS = orjson.loads(
    """{
"data": {
"items": [
{
"id": 1287,
"order_number": "ORD-13-20260430-AD3C",
"status": "pending",
"payment_status": "pending",
"payment_method": "cod",
"total": 3500,
"customer_name": "Ahmed Benali",
"customer_phone": "0555123456",
"wilaya_id": 16,
"commune": "Bab Ezzouar",
"delivery_type": "home",
"created_at": "2026-04-30 10:15:00"
}
],
"next_cursor": "MTI4Ng",
"has_more": true
},
"meta": { "request_id": "def456abc7", "api_version": "v1" }
}"""
)

SEED_004_ERROR = orjson.loads(
    """{
"error": {
"code": "not_found",
"message": "Product with ID 999 not found"
},
"meta": {
"request_id": "req_abc123",
"api_version": "v1"
}
}"""
)

# Seed 000 shows ``data`` only (its pages leave the envelope's ``meta`` out).
SEED_000_CUSTOMERS = orjson.loads(
    """{
"data": {
"items": [
{
"id": 5578,
"first_name": "John",
"last_name": "Doe",
"phone": "0555000000",
"email": null,
"wilaya_id": 16,
"commune": "Bab Ezzouar",
"total_orders": 3,
"total_spent": 4500,
"is_banned": false,
"created_at": "2026-03-17 15:18:13",
"updated_at": "2026-04-15 12:01:08"
}
],
"next_cursor": "NDk=",
"has_more": true
}
}"""
)

SEED_000_CUSTOMER = orjson.loads(
    """{
"data": {
"id": 5578,
"first_name": "John",
"last_name": "Doe",
"phone": "0555000000",
"email": "john@example.com",
"wilaya_id": 16,
"commune": "Bab Ezzouar",
"address": "12 Rue X",
"notes": "Prefers afternoon delivery",
"total_orders": 3,
"total_spent": 4500,
"fraud_score": 10,
"is_banned": false,
"created_at": "2026-03-17 15:18:13",
"updated_at": "2026-04-15 12:01:08"
}
}"""
)

SEED_000_CUSTOMER_ORDERS = orjson.loads(
    """{
"data": {
"items": [
{ "id": 6894, "order_number": "ORD-13-20260317-AD3C", "status": "confirmed",
"payment_status": "pending", "total": 1000, "created_at": "2026-03-17 15:18:13" }
],
"next_cursor": null,
"has_more": false
}
}"""
)

# --- comparing shapes --------------------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: True is an int in Python, not in JSON
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def shape_problems(seed: Any, ours: Any, path: str = "$") -> list[str]:
    """Where ``ours`` does not have the shape of ``seed``: missing keys and JSON types that differ."""
    if seed is None:
        return []
    if json_type(seed) != json_type(ours):
        return [f"{path}: the seed has {json_type(seed)}, we answer {json_type(ours)} ({ours!r})"]
    if isinstance(seed, dict):
        problems = [f"{path}.{name}: missing" for name in seed if name not in ours]
        for name in seed:
            if name in ours:
                problems.extend(shape_problems(seed[name], ours[name], f"{path}.{name}"))
        return problems
    if isinstance(seed, list) and seed:
        if not ours:
            return [f"{path}: the seed shows items, we answer an empty list (arrange the data)"]
        return [
            problem for index, item in enumerate(ours) for problem in shape_problems(seed[0], item, f"{path}[{index}]")
        ]
    return []


def extra_fields(seed: Any, ours: Any, path: str = "") -> set[str]:
    """Dotted paths of the fields we answer that the seed's objects do not show (list items as ``[]``)."""
    if isinstance(seed, dict) and isinstance(ours, dict):
        extras = {f"{path}{name}" for name in ours if name not in seed}
        for name in seed:
            if name in ours:
                extras |= extra_fields(seed[name], ours[name], f"{path}{name}.")
        return extras
    if isinstance(seed, list) and seed and isinstance(ours, list):
        return set().union(*(extra_fields(seed[0], item, f"{path}[].") for item in ours)) if ours else set()
    return set()


def test_shape_problems_names_a_missing_key_a_wrong_type_and_an_int_for_a_bool():
    seed = {"a": 1, "b": {"c": True}, "d": [{"e": "x"}], "n": None}

    problems = shape_problems(seed, {"a": "1", "b": {"c": 1}, "d": [{"e": "y"}, {}], "n": [1]})

    assert problems == [
        "$.a: the seed has integer, we answer string ('1')",
        "$.b.c: the seed has boolean, we answer integer (1)",
        "$.d[1].e: missing",
    ]


def test_extra_fields_lists_nested_extras_once():
    seed = {"a": 1, "b": {"c": 1}, "d": [{"e": 1}]}

    assert extra_fields(seed, {"a": 1, "x": 1, "b": {"c": 1, "y": 2}, "d": [{"e": 1, "z": 1}, {"e": 2, "z": 2}]}) == {
        "x",
        "b.y",
        "d.[].z",
    }


# --- the store the examples run against --------------------------------------------------------------------------


@dataclass
class Shop:
    store: Store
    key: Key
    john: Customer
    john_orders: list[Order]
    pending_orders: list[Order]
    customers: list[Customer]


@pytest.fixture
async def shop(session) -> Shop:
    """Seed 000's John Doe in full (email, address, notes, fraud score), 20 older customers so that a page of 20 has
    more, and 11 pending orders so that a page of 10 has more. John has 2 orders, newest confirmed."""
    store = await create_store(session, name="DZ Fashion")
    key = await create_key(session, store)
    product = await create_product(session, store, name="Cotton T-Shirt", price=1500)
    others = [
        await create_customer(
            session, store, first_name=f"Client{number}", created_at=BASE - timedelta(days=number + 1)
        )
        for number in range(20)
    ]
    john = await create_customer(
        session,
        store,
        phone="0555000000",
        first_name="John",
        last_name="Doe",
        email="john@example.com",
        total_orders=3,
        total_spent=4500,
        created_at=BASE,
    )
    john.address = "12 Rue X"
    john.notes = "Prefers afternoon delivery"
    john.fraud_score = 10
    john_orders = [
        await create_order(session, store, john, [(product, 1)], status="pending", created_at=BASE),
        await create_order(
            session, store, john, [(product, 2)], status="confirmed", created_at=BASE + timedelta(hours=1)
        ),
    ]
    pending = [
        await create_order(
            session, store, others[number], [(product, 1)], created_at=BASE - timedelta(hours=number + 1)
        )
        for number in range(10)
    ]
    await create_landing_page(session, store, product=product)
    await create_webhook_subscription(session, store)
    await session.commit()
    return Shop(store, key, john, john_orders, [john_orders[0], *pending], [john, *others])


def write_headers(key: Key, idempotency_key: str = "conformance-1") -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": idempotency_key}


def assert_envelope(response: httpx.Response) -> dict[str, Any]:
    """The contract's envelope: ``data`` or ``error``, and ``meta`` whose request id is the header's."""
    body: dict[str, Any] = response.json()
    assert set(body) in ({"data", "meta"}, {"error", "meta"}), body
    assert body["meta"] == {"request_id": response.headers["x-request-id"], "api_version": "v1"}
    assert response.headers["content-type"].startswith("application/json")
    return body


def assert_rest_values(value: Any, path: str = "$") -> None:
    """Contract §2 everywhere in a body: timestamps ``YYYY-MM-DD HH:MM:SS``, integer ids, never a private field."""
    if isinstance(value, dict):
        for name, item in value.items():
            assert name not in ("device_fingerprint", "identity_id"), f"{path}.{name}"
            if name.endswith("_at") and item is not None:
                assert isinstance(item, str), f"{path}.{name} = {item!r}"
                assert TIMESTAMP.match(item), f"{path}.{name} = {item!r}"
            if (name == "id" or name.endswith("_id")) and name != "key_id" and item is not None:
                assert json_type(item) == "integer", f"{path}.{name} = {item!r}"
            assert_rest_values(item, f"{path}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_rest_values(item, f"{path}[{index}]")


# --- seed 004 ----------------------------------------------------------------------------------------------------


async def test_create_product_with_seed_004s_body_answers_201_in_seed_004s_shape(client, shop):
    response = await client.post("/v1/products", json=SEED_004_CREATE_PRODUCT_BODY, headers=write_headers(shop.key))

    assert response.status_code == 201
    body = assert_envelope(response)
    assert shape_problems(SEED_004_CREATED_PRODUCT["data"], body["data"]) == []
    # Ours also says the description it was given and when the product last changed.
    assert extra_fields(SEED_004_CREATED_PRODUCT["data"], body["data"]) == {"description", "updated_at"}


async def test_create_product_with_seed_004s_body_answers_seed_004s_values(client, shop):
    response = await client.post("/v1/products", json=SEED_004_CREATE_PRODUCT_BODY, headers=write_headers(shop.key))

    data = response.json()["data"]
    expected = {
        name: value for name, value in SEED_004_CREATED_PRODUCT["data"].items() if name not in ("id", "created_at")
    }
    assert {name: data[name] for name in expected} == expected
    assert data["description"] == "100% cotton, made in Algeria"


async def test_list_pending_orders_answers_seed_004s_list_shape(client, shop):
    response = await client.get("/v1/orders?status=pending&limit=10", headers=shop.key.headers)

    assert response.status_code == 200
    body = assert_envelope(response)
    assert shape_problems(SEED_004_ORDERS["data"], body["data"]) == []
    # Ours also names the customer by id (seed 000: "aggregate by customer_id").
    assert extra_fields(SEED_004_ORDERS["data"], body["data"]) == {"items.[].customer_id"}


async def test_list_pending_orders_holds_ten_pending_orders_newest_first(client, shop):
    response = await client.get("/v1/orders?status=pending&limit=10", headers=shop.key.headers)

    items = response.json()["data"]["items"]
    assert [item["id"] for item in items] == [order.id for order in shop.pending_orders[:10]]
    assert {item["status"] for item in items} == {"pending"}


async def test_an_unknown_product_answers_seed_004s_error_envelope(client, shop):
    response = await client.get("/v1/products/999", headers=shop.key.headers)

    assert response.status_code == 404
    body = assert_envelope(response)
    assert shape_problems(SEED_004_ERROR, body) == []
    assert extra_fields(SEED_004_ERROR, body) == set()
    assert body["error"] == SEED_004_ERROR["error"]


# --- seed 000 ----------------------------------------------------------------------------------------------------


async def test_list_customers_answers_seed_000s_list_shape(client, shop):
    response = await client.get("/v1/customers?limit=20", headers=shop.key.headers)

    assert response.status_code == 200
    body = assert_envelope(response)
    assert shape_problems(SEED_000_CUSTOMERS["data"], body["data"]) == []
    assert extra_fields(SEED_000_CUSTOMERS["data"], body["data"]) == set()
    assert len(body["data"]["items"]) == 20


async def test_customer_detail_answers_seed_000s_shape(client, shop):
    response = await client.get(f"/v1/customers/{shop.john.id}", headers=shop.key.headers)

    assert response.status_code == 200
    body = assert_envelope(response)
    assert shape_problems(SEED_000_CUSTOMER["data"], body["data"]) == []
    # Ours also says when the customer last ordered, has the profile, the ledgers' balances and the lifecycle of
    # the CRM.
    assert extra_fields(SEED_000_CUSTOMER["data"], body["data"]) == {
        "loyalty_balance",
        "is_loyalty_enabled",
        "is_house_account_enabled",
        "house_account_limit",
        "house_account_balance",
        "last_order_at",
        "archived_at",
        "erased_at",
        "tags",
        "accepts_marketing",
        "gender",
        "birth_date",
        "locale",
        "dial_code",
        "metadata",
    }


async def test_customer_detail_answers_seed_000s_values(client, shop):
    response = await client.get(f"/v1/customers/{shop.john.id}", headers=shop.key.headers)

    data = response.json()["data"]
    expected = {
        name: value
        for name, value in SEED_000_CUSTOMER["data"].items()
        if name not in ("id", "created_at", "updated_at")
    }
    assert {name: data[name] for name in expected} == expected


async def test_customer_detail_never_shows_the_device_fingerprint_or_identity(client, shop):
    response = await client.get(f"/v1/customers/{shop.john.id}", headers=shop.key.headers)

    assert shop.john.device_fingerprint
    assert shop.john.identity_id
    assert shop.john.device_fingerprint not in response.text
    assert shop.john.identity_id not in response.text
    assert "fingerprint" not in response.text
    assert "identity" not in response.text


async def test_customer_orders_answer_seed_000s_list_shape(client, shop):
    response = await client.get(f"/v1/customers/{shop.john.id}/orders?limit=10", headers=shop.key.headers)

    assert response.status_code == 200
    body = assert_envelope(response)
    assert shape_problems(SEED_000_CUSTOMER_ORDERS["data"], body["data"]) == []
    # "fields are the same as the orders list summary": seed 004's summary, which the seed 000 example abridges.
    summary_fields = set(SEED_004_ORDERS["data"]["items"][0]) | {"customer_id"}
    shown = set(SEED_000_CUSTOMER_ORDERS["data"]["items"][0])
    assert extra_fields(SEED_000_CUSTOMER_ORDERS["data"], body["data"]) == {
        f"items.[].{name}" for name in summary_fields - shown
    }


async def test_customer_orders_are_johns_newest_first(client, shop):
    response = await client.get(f"/v1/customers/{shop.john.id}/orders?limit=10", headers=shop.key.headers)

    data = response.json()["data"]
    assert [item["id"] for item in data["items"]] == [order.id for order in reversed(shop.john_orders)]
    assert [item["status"] for item in data["items"]] == ["confirmed", "pending"]
    assert (data["next_cursor"], data["has_more"]) == (None, False)


@pytest.mark.parametrize("phone", ["0555000000", "+213555000000", "0555 00 00 00"])
async def test_find_a_customer_by_phone_finds_john_whatever_the_spelling(client, shop, phone):
    response = await client.get("/v1/customers", params={"phone": phone, "limit": 1}, headers=shop.key.headers)

    assert response.status_code == 200
    data = assert_envelope(response)["data"]
    assert [item["id"] for item in data["items"]] == [shop.john.id]
    assert (data["next_cursor"], data["has_more"]) == (None, False)


async def test_find_a_customer_by_phone_then_list_their_orders(client, shop):
    """Seed 000's "common pattern": the id of ``.data.items[0].id`` lists that customer's orders."""
    found = await client.get("/v1/customers?phone=0555000000&limit=1", headers=shop.key.headers)
    customer_id = found.json()["data"]["items"][0]["id"]

    orders = await client.get(f"/v1/customers/{customer_id}/orders", headers=shop.key.headers)

    assert orders.status_code == 200
    assert {item["customer_id"] for item in orders.json()["data"]["items"]} == {shop.john.id}


# --- whoami (seed 004: "Try GET /v1/whoami to verify your key works") --------------------------------------------


async def test_whoami_describes_the_key_and_its_store(client, shop):
    response = await client.get("/v1/whoami", headers=shop.key.headers)

    assert response.status_code == 200
    data = assert_envelope(response)["data"]
    assert data == {
        "key_id": shop.key.key_id,
        "type": "platform",
        "env": "live",
        "scopes": data["scopes"],
        "store_id": shop.store.id,
        "store_name": "DZ Fashion",
        "plan": "enterprise",
    }
    assert all(isinstance(scope, str) for scope in data["scopes"])
    assert "products:read" in data["scopes"]


# --- contract §2 on every documented read ------------------------------------------------------------------------

DOCUMENTED_READS = [
    "/v1/whoami",
    "/v1/store",
    "/v1/products?limit=10",
    "/v1/orders?status=pending&limit=10",
    "/v1/orders/{order}",
    "/v1/customers?limit=20",
    "/v1/customers/{john}",
    "/v1/customers/{john}/orders?limit=10",
    "/v1/customers?phone=0555000000&limit=1",
    "/v1/keys",
    "/v1/landing-pages",
    "/v1/webhooks",
    "/v1/products/999",
]


def _documented(path: str, shop: Shop) -> str:
    return path.format(order=shop.john_orders[1].id, john=shop.john.id)


@pytest.mark.parametrize("path", DOCUMENTED_READS)
async def test_a_documented_read_answers_in_the_envelope_with_the_request_id_header(client, shop, path):
    response = await client.get(_documented(path, shop), headers=shop.key.headers)

    assert_envelope(response)
    assert response.headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize("path", DOCUMENTED_READS)
async def test_a_documented_read_has_rest_timestamps_integer_ids_and_no_private_fields(client, shop, path):
    response = await client.get(_documented(path, shop), headers=shop.key.headers)

    body = response.json()
    assert_rest_values(body.get("data", body.get("error")))
    assert "device_fingerprint" not in response.text
    assert "identity_id" not in response.text


async def test_an_inbound_request_id_is_the_envelopes_request_id(client, shop):
    response = await client.get("/v1/whoami", headers={**shop.key.headers, "X-Request-Id": "trace-42"})

    assert response.json()["meta"]["request_id"] == "trace-42" == response.headers["x-request-id"]


async def test_money_is_an_integer_in_dzd_in_the_order_body(client, shop):
    response = await client.get(f"/v1/orders/{shop.john_orders[1].id}", headers=shop.key.headers)

    data = response.json()["data"]
    money = [
        data["total"],
        *data["totals"].values(),
        data["delivery"]["fee"],
        *(item[name] for item in data["items"] for name in ("unit_price", "total")),
    ]
    assert [json_type(amount) for amount in money] == ["integer"] * len(money)
    assert data["totals"] == {"subtotal": 3000, "delivery_fee": 400, "total": 3400}

"""/v1's errors (contract §2 "Errors"): each in the envelope, with its code and HTTP status.

A request whose query string, path or body has the wrong shape is refused before any work: the only SQL it costs
is the key lookup of authentication, exactly what a request to an unknown /v1 path costs (that one never reaches
an operation). ``auth_only_statements`` measures that baseline.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from db.models import Order, Product, Store
from rest_compat.handler import RestApi, compile_table
from schema.core.build import build_schema
from schema.core.cost import CostLimits
from storegraph.settings import Settings
from tests.support.factories import (
    Key,
    create_customer,
    create_key,
    create_order,
    create_product,
    create_store,
    principal,
)
from tests.support.mutation_helpers import count_rows, snapshot

UNKNOWN_PATH = "/v1/no-such-endpoint"


@dataclass
class Shop:
    store: Store
    key: Key
    product: Product
    order: Order


@pytest.fixture
async def shop(session) -> Shop:
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store, sku="TS-COT-001")
    customer = await create_customer(session, store)
    order = await create_order(session, store, customer, [(product, 1)])
    await create_customer(session, store)
    await session.commit()
    return Shop(store, key, product, order)


def write_headers(key: Key, idempotency_key: str = "errors-1") -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": idempotency_key}


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The envelope's error, asserting its status, code and ``meta``."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "meta"}, body
    assert body["meta"] == {"request_id": response.headers["x-request-id"], "api_version": "v1"}
    error: dict[str, Any] = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


def validation_details(response: httpx.Response) -> list[dict[str, str]]:
    """``details[]`` of a ``validation_error``: each exactly ``{field, code, message}``, all strings."""
    error = error_of(response, 422, "validation_error")
    details: list[dict[str, str]] = error["details"]
    assert details, error
    for detail in details:
        assert set(detail) == {"field", "code", "message"}, detail
        assert all(isinstance(value, str) and value for value in detail.values()), detail
    return details


async def measured(
    client, count_statements, key: Key, method: str, path: str, **kwargs: Any
) -> tuple[httpx.Response, list[str]]:
    """One request and the SQL statements it costs, once the key's ``last_used_at`` is fresh (a warm-up request)."""
    await client.get(UNKNOWN_PATH, headers=key.headers)
    with count_statements() as counter:
        response = await client.request(method, path, **kwargs)
    return response, counter.statements


def besides_idempotency(statements: list[str]) -> list[str]:
    """The statements of a keyed write other than its Idempotency-Key's own (the embedded default keeps the key in
    the database: reserved, then released since the request was refused before it ran)."""
    return [statement for statement in statements if "idempotency_records" not in statement]


@pytest.fixture
async def auth_only_statements(client, count_statements, shop) -> list[str]:
    response, statements = await measured(
        client, count_statements, shop.key, "GET", UNKNOWN_PATH, headers=shop.key.headers
    )
    error_of(response, 404, "not_found")
    assert statements, "authentication looks the key up: at least one statement"
    return statements


# --- the query string and the path ------------------------------------------------------------------------------

BAD_READS = [
    ("/v1/products?limit=0", "limit", "out_of_range"),
    ("/v1/products?limit=201", "limit", "out_of_range"),
    ("/v1/customers?limit=abc", "limit", "invalid_type"),
    ("/v1/orders?limit=-1", "limit", "out_of_range"),
    ("/v1/orders?status=bogus", "status", "invalid_choice"),
    ("/v1/products?status=ACTIVE", "status", "invalid_choice"),
    ("/v1/orders?since=yesterday", "since", "invalid"),
    ("/v1/orders?customer_id=0", "customer_id", "out_of_range"),
    ("/v1/orders?customer_id=abc", "customer_id", "invalid_type"),
    ("/v1/products/abc", "id", "invalid"),
    ("/v1/products/0", "id", "invalid"),
    ("/v1/products/-5", "id", "invalid"),
    ("/v1/orders/12345678901234567890", "id", "invalid"),
    ("/v1/customers/99999999999999999999/orders", "id", "invalid"),
    ("/v1/customers?colour=red", "colour", "unknown_field"),
    ("/v1/whoami?verbose=1", "verbose", "unknown_field"),
    ("/v1/customers?limit=5&limit=6", "limit", "duplicate"),
    ("/v1/customers?phone=0555000000&phone=0555000001", "phone", "duplicate"),
]


@pytest.mark.parametrize(("path", "field", "code"), BAD_READS, ids=[path for path, _, _ in BAD_READS])
async def test_a_bad_query_string_or_path_id_is_a_validation_error_naming_the_field(client, shop, path, field, code):
    response = await client.get(path, headers=shop.key.headers)

    details = validation_details(response)
    assert (details[0]["field"], details[0]["code"]) == (field, code)


@pytest.mark.parametrize(("path", "field", "code"), BAD_READS, ids=[path for path, _, _ in BAD_READS])
async def test_a_bad_query_string_or_path_id_costs_no_sql_besides_auth(
    client, count_statements, shop, auth_only_statements, path, field, code
):
    response, statements = await measured(client, count_statements, shop.key, "GET", path, headers=shop.key.headers)

    assert response.status_code == 422
    assert statements == auth_only_statements


async def test_the_largest_id_is_valid_and_just_not_found(client, shop):
    response = await client.get(f"/v1/products/{2**63 - 1}", headers=shop.key.headers)

    error_of(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/v1/products/abc", {"name": "Linen"}),
        ("DELETE", "/v1/products/0", None),
        ("PATCH", "/v1/orders/1.5", {"status": "confirmed"}),
        ("DELETE", "/v1/keys/12345678901234567890", None),
        ("DELETE", "/v1/webhooks/x", None),
    ],
)
async def test_a_write_to_a_bad_id_is_a_validation_error_and_costs_no_sql_besides_auth_and_its_key(
    client, count_statements, shop, auth_only_statements, method, path, body
):
    response, statements = await measured(
        client, count_statements, shop.key, method, path, json=body, headers=write_headers(shop.key)
    )

    assert validation_details(response)[0]["field"] == "id"
    assert besides_idempotency(statements) == auth_only_statements


# --- the body ----------------------------------------------------------------------------------------------------

VALID_PRODUCT = {"name": "Cotton T-Shirt", "price": 1500}

BAD_BODIES = [
    ({**VALID_PRODUCT, "colour": "red"}, "colour", "unknown_field"),
    ({**VALID_PRODUCT, "price": "1500"}, "price", "invalid_type"),
    ({**VALID_PRODUCT, "price": 15.5}, "price", "invalid_type"),
    ({**VALID_PRODUCT, "price": True}, "price", "invalid_type"),
    ({**VALID_PRODUCT, "price": -1}, "price", "out_of_range"),
    ({**VALID_PRODUCT, "name": 42}, "name", "invalid_type"),
    ({**VALID_PRODUCT, "track_stock": "yes"}, "track_stock", "invalid_type"),
    ({**VALID_PRODUCT, "stock_quantity": 2**31}, "stock_quantity", "out_of_range"),
    ({**VALID_PRODUCT, "status": "published"}, "status", "invalid_choice"),
    ({"price": 1500}, "name", "blank"),
]


@pytest.mark.parametrize(
    ("body", "field", "code"), BAD_BODIES, ids=[f"{field}-{code}" for _, field, code in BAD_BODIES]
)
async def test_a_bad_body_is_a_validation_error_naming_the_field(client, shop, body, field, code):
    response = await client.post("/v1/products", json=body, headers=write_headers(shop.key))

    assert [(detail["field"], detail["code"]) for detail in validation_details(response)] == [(field, code)]


async def test_every_problem_of_a_body_is_one_detail(client, shop):
    body = {"name": 42, "price": "1500", "colour": "red"}

    response = await client.post("/v1/products", json=body, headers=write_headers(shop.key))

    assert {(detail["field"], detail["code"]) for detail in validation_details(response)} == {
        ("name", "invalid_type"),
        ("price", "invalid_type"),
        ("colour", "unknown_field"),
    }


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"name": "Cotton T-Shirt", ', "invalid_json"),
        (b"{'name': 'single quotes'}", "invalid_json"),
        (b"[]", "invalid_type"),
        (b'["Cotton T-Shirt", 1500]', "invalid_type"),
        (b'"Cotton T-Shirt"', "invalid_type"),
        (b"1500", "invalid_type"),
        (b"null", "invalid_type"),
    ],
    ids=["truncated", "single quotes", "empty array", "array", "string", "number", "null"],
)
async def test_a_body_that_is_not_a_json_object_is_a_validation_error_on_the_body(client, shop, raw, code):
    response = await client.post(
        "/v1/products", content=raw, headers={**write_headers(shop.key), "Content-Type": "application/json"}
    )

    assert [(detail["field"], detail["code"]) for detail in validation_details(response)] == [("body", code)]


@pytest.mark.parametrize(
    "raw",
    [b'{"name": "Cotton T-Shirt", "price": "1500"}', b'{"name": ', b"[1]", b'{"name": "A", "price": 1, "x": 1}'],
    ids=["wrong type", "invalid json", "not an object", "unknown field"],
)
async def test_a_bad_body_costs_no_sql_besides_auth_and_its_key_and_creates_nothing(
    client, count_statements, sessionmaker, shop, auth_only_statements, raw
):
    before = await count_rows(sessionmaker, Product, shop.store.id)

    response, statements = await measured(
        client, count_statements, shop.key, "POST", "/v1/products", content=raw, headers=write_headers(shop.key)
    )

    assert response.status_code == 422
    assert besides_idempotency(statements) == auth_only_statements
    assert await count_rows(sessionmaker, Product, shop.store.id) == before


async def test_a_body_on_a_read_is_a_validation_error(client, shop):
    response = await client.request("GET", "/v1/store", content=b'{"name": "x"}', headers=shop.key.headers)

    assert validation_details(response)[0]["field"] == "body"


async def test_a_body_on_a_delete_is_a_validation_error_and_deletes_nothing(client, sessionmaker, shop):
    response = await client.request(
        "DELETE", f"/v1/products/{shop.product.id}", content=b'{"force": true}', headers=write_headers(shop.key)
    )

    assert validation_details(response)[0]["field"] == "body"
    assert await snapshot(sessionmaker, Product, shop.product.id) != {}


# --- cursors -----------------------------------------------------------------------------------------------------


def _altered(cursor: str) -> str:
    middle = len(cursor) // 2
    replacement = "A" if cursor[middle] != "A" else "B"
    return cursor[:middle] + replacement + cursor[middle + 1 :]


async def _next_cursor(client, key: Key, path: str) -> str:
    response = await client.get(path, headers=key.headers)
    cursor = response.json()["data"]["next_cursor"]
    assert isinstance(cursor, str), response.text
    return cursor


@pytest.mark.parametrize(
    "tamper",
    [
        _altered,
        lambda cursor: cursor[:-3],
        lambda cursor: cursor + "A",
        lambda cursor: cursor.swapcase(),
        lambda cursor: base64.urlsafe_b64encode(b'["2026-04-30T10:15:00",1]').decode().rstrip("="),
        lambda _cursor: "not-a-cursor",
        lambda _cursor: "%%%",
    ],
    ids=["altered", "truncated", "extended", "case", "unsigned", "garbage", "not base64"],
)
async def test_a_tampered_cursor_is_invalid_cursor(client, shop, tamper):
    cursor = await _next_cursor(client, shop.key, "/v1/customers?limit=1")

    response = await client.get("/v1/customers", params={"cursor": tamper(cursor)}, headers=shop.key.headers)

    error_of(response, 400, "invalid_cursor")


async def test_a_products_cursor_on_customers_is_invalid_cursor(client, session, shop):
    await create_product(session, shop.store)
    await session.commit()
    cursor = await _next_cursor(client, shop.key, "/v1/products?limit=1")

    response = await client.get("/v1/customers", params={"cursor": cursor}, headers=shop.key.headers)

    error_of(response, 400, "invalid_cursor")


async def test_another_stores_cursor_is_invalid_cursor(client, session, shop):
    other_store = await create_store(session)
    other_key = await create_key(session, other_store)
    for _ in range(2):
        await create_customer(session, other_store)
    await session.commit()
    cursor = await _next_cursor(client, other_key, "/v1/customers?limit=1")

    response = await client.get("/v1/customers", params={"cursor": cursor}, headers=shop.key.headers)

    error_of(response, 400, "invalid_cursor")


# --- routes and methods ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1", "/v1/", UNKNOWN_PATH, "/v1/products/1/reviews", "/v1/products/", "/v1/Products"]
)
async def test_an_unknown_route_is_not_found_in_the_envelope(client, shop, path):
    response = await client.get(path, headers=shop.key.headers)

    error = error_of(response, 404, "not_found")
    assert path in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/v1/whoami", "GET"),
        ("DELETE", "/v1/store", "GET, PATCH"),
        ("PUT", "/v1/products/1", "DELETE, GET, PATCH"),
        ("POST", "/v1/orders", "GET"),
        ("PATCH", "/v1/customers/1/orders", "GET"),
        ("PATCH", "/v1/webhooks", "GET, POST"),
    ],
)
async def test_a_wrong_method_is_405_in_the_envelope_with_allow(client, shop, method, path, allow):
    response = await client.request(method, path, headers=write_headers(shop.key, f"{method}{path}"))

    error = error_of(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow
    assert "allow" not in error


# --- business errors ---------------------------------------------------------------------------------------------


async def test_a_duplicate_sku_is_conflict_naming_the_field_and_creates_nothing(client, sessionmaker, shop):
    before = await count_rows(sessionmaker, Product, shop.store.id)

    response = await client.post(
        "/v1/products", json={**VALID_PRODUCT, "sku": "TS-COT-001"}, headers=write_headers(shop.key)
    )

    error = error_of(response, 409, "conflict")
    assert [detail["field"] for detail in error["details"]] == ["sku"]
    assert await count_rows(sessionmaker, Product, shop.store.id) == before


async def test_changing_a_sku_to_a_taken_one_is_conflict_and_changes_nothing(client, session, sessionmaker, shop):
    other = await create_product(session, shop.store, sku="LINEN-01")
    await session.commit()
    before = await snapshot(sessionmaker, Product, other.id)

    response = await client.patch(
        f"/v1/products/{other.id}", json={"sku": "TS-COT-001", "price": 99}, headers=write_headers(shop.key)
    )

    error_of(response, 409, "conflict")
    assert await snapshot(sessionmaker, Product, other.id) == before


async def test_the_same_sku_in_another_store_is_no_conflict(client, session, shop):
    other_key = await create_key(session, await create_store(session))
    await session.commit()

    response = await client.post(
        "/v1/products", json={**VALID_PRODUCT, "sku": "TS-COT-001"}, headers=write_headers(other_key)
    )

    assert response.status_code == 201, response.text


async def test_pending_to_delivered_is_invalid_status_transition_and_changes_nothing(client, sessionmaker, shop):
    before = await snapshot(sessionmaker, Order, shop.order.id)

    response = await client.patch(
        f"/v1/orders/{shop.order.id}", json={"status": "delivered"}, headers=write_headers(shop.key)
    )

    error = error_of(response, 422, "invalid_status_transition")
    assert "pending" in error["message"]
    assert "delivered" in error["message"]
    assert await snapshot(sessionmaker, Order, shop.order.id) == before
    detail = await client.get(f"/v1/orders/{shop.order.id}", headers=shop.key.headers)
    assert [change["to"] for change in detail.json()["data"]["status_history"]] == ["pending"]


async def test_a_delivered_order_cannot_go_back_to_pending(client, session, shop):
    delivered = await create_order(
        session, shop.store, await create_customer(session, shop.store), [(shop.product, 1)], status="delivered"
    )
    await session.commit()

    response = await client.patch(
        f"/v1/orders/{delivered.id}", json={"status": "pending"}, headers=write_headers(shop.key)
    )

    error_of(response, 422, "invalid_status_transition")


async def test_an_order_change_without_status_or_payment_status_is_a_validation_error(client, shop):
    response = await client.patch(f"/v1/orders/{shop.order.id}", json={}, headers=write_headers(shop.key))

    assert validation_details(response)


# --- authentication ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer dzpk_live_nope.secret"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "unknown key", "not bearer", "empty bearer"],
)
async def test_a_request_without_a_valid_key_is_unauthorized_in_the_envelope(client, headers):
    response = await client.get("/v1/whoami", headers=headers)

    error_of(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


# --- an unexpected failure ---------------------------------------------------------------------------------------

SECRET_DETAIL = "password=hunter2 at db.internal:5432"


class BrokenRunner:
    def reads(self) -> Any:
        raise RuntimeError(SECRET_DETAIL)

    def operation(self, *_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(SECRET_DETAIL)


class WithPrincipal:
    """Stands in for the middleware in front of /v1: a request id and an authenticated key."""

    def __init__(self, app: RestApi) -> None:
        self.app = app

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {}).update(
            request_id="req_broken",
            principal=principal(),
        )
        await self.app(scope, receive, send)


@pytest.fixture
async def broken_api() -> AsyncIterator[httpx.AsyncClient]:
    schema = build_schema(CostLimits.from_settings(Settings(_env_file=None)))
    api = WithPrincipal(RestApi(BrokenRunner(), compile_table(schema._schema)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://storegraph.test") as http:
        yield http


async def test_an_unexpected_failure_is_a_500_internal_error_without_its_detail(broken_api, caplog):
    response = await broken_api.get("/v1/whoami")

    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "internal_error"
    assert "req_broken" in body["error"]["message"]
    assert body["meta"] == {"request_id": "req_broken", "api_version": "v1"}
    for leak in ("hunter2", "RuntimeError", "Traceback", "db.internal", "handler.py"):
        assert leak not in response.text
    assert SECRET_DETAIL in caplog.text  # the detail goes to the log, not to the client

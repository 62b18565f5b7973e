"""Idempotency-Key through the whole app: POST /graphql honours it for mutations (a query runs like any read), on
SQLite and PostgreSQL, on the embedded default and with Redis; /v1 writes need it; answers over the size limit are
not kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from db.models import Order, Product, Store
from storegraph.app import create_app
from storegraph.platform.idempotency import Outcome, scope_key
from tests.conftest import app_settings, services_of
from tests.support.factories import Key, create_key, create_product, create_store
from tests.support.idempotency_support import redis_app as redis_app_over

PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id orderNumber total } userErrors { field code } }
}
"""


class Shop:
    def __init__(self, key: Key, product_id: int) -> None:
        self.key = key
        self.product_id = product_id

    def order(self, quantity: int = 1, phone: str = "0555 12 12 12") -> dict[str, Any]:
        lines = [{"productId": str(self.product_id), "quantity": quantity}]
        customer = {"firstName": "Nadia", "phone": phone, "wilayaId": 16}
        return {"query": PLACE, "variables": {"input": {"lines": lines, "customer": customer}}}


@pytest.fixture
async def shop(session) -> Shop:
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store, price=1000)
    await session.commit()
    return Shop(key, product.id)


def with_key(key: Key, idempotency_key: str | None = None) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": idempotency_key or uuid4().hex}


async def orders_of(sessionmaker, store_id: int) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Order).where(Order.store_id == store_id)))


async def test_the_same_order_sent_twice_with_one_key_is_placed_once(client, sessionmaker, shop):
    headers = with_key(shop.key)

    first = await client.post("/graphql", json=shop.order(), headers=headers)
    again = await client.post("/graphql", json=shop.order(), headers=headers)

    assert await orders_of(sessionmaker, shop.key.store_id) == 1
    assert first.json()["data"]["placeOrder"]["userErrors"] == []
    assert again.headers["idempotent-replayed"] == "true"
    assert again.status_code == first.status_code == 200
    assert again.content == first.content


async def test_a_replay_carries_the_rate_limit_state_of_the_request_that_received_it(client, shop):
    headers = with_key(shop.key)

    first = await client.post("/graphql", json=shop.order(), headers=headers)
    again = await client.post("/graphql", json=shop.order(), headers=headers)

    assert again.headers["idempotent-replayed"] == "true"
    assert int(again.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"]) - 1


async def test_a_rest_replay_answers_the_request_id_its_body_quotes(client, shop):
    headers = with_key(shop.key)
    product = {"name": "Cotton T-Shirt", "price": 1500}

    first = await client.post("/v1/products", json=product, headers=headers)
    again = await client.post("/v1/products", json=product, headers=headers)

    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-request-id"] == again.json()["meta"]["request_id"] == first.headers["x-request-id"]


async def test_without_the_header_every_graphql_request_runs(client, sessionmaker, shop):
    await client.post("/graphql", json=shop.order(), headers=shop.key.headers)
    again = await client.post("/graphql", json=shop.order(), headers=shop.key.headers)

    assert "idempotent-replayed" not in again.headers
    assert await orders_of(sessionmaker, shop.key.store_id) == 2


async def test_the_same_key_with_other_variables_is_idempotency_key_reused(client, sessionmaker, shop):
    headers = with_key(shop.key)
    await client.post("/graphql", json=shop.order(quantity=1), headers=headers)

    reused = await client.post("/graphql", json=shop.order(quantity=2), headers=headers)

    assert reused.status_code == 422
    assert reused.json()["errors"][0]["extensions"]["code"] == "idempotency_key_reused"
    assert await orders_of(sessionmaker, shop.key.store_id) == 1


async def test_a_syntax_error_keeps_nothing_so_the_corrected_request_runs_with_the_same_key(client, sessionmaker, shop):
    headers = with_key(shop.key)
    broken = {**shop.order(), "query": PLACE.replace("placeOrder(", "placeOrder((")}
    refused = await client.post("/graphql", json=broken, headers=headers)

    corrected = await client.post("/graphql", json=shop.order(), headers=headers)

    assert refused.status_code == 400
    assert corrected.status_code == 200
    assert "idempotent-replayed" not in corrected.headers
    assert await orders_of(sessionmaker, shop.key.store_id) == 1


async def test_a_syntax_error_answered_with_200_to_a_json_client_keeps_nothing(client, sessionmaker, shop):
    headers = {**with_key(shop.key), "Accept": "application/json"}
    broken = {**shop.order(), "query": PLACE.replace("placeOrder(", "placeOrder((")}
    refused = await client.post("/graphql", json=broken, headers=headers)

    corrected = await client.post("/graphql", json=shop.order(), headers=headers)

    assert refused.status_code == 200
    assert "data" not in refused.json()
    assert "idempotent-replayed" not in corrected.headers
    assert corrected.json()["data"]["placeOrder"]["userErrors"] == []
    assert await orders_of(sessionmaker, shop.key.store_id) == 1


async def test_a_mutation_answered_with_user_errors_ran_and_is_replayed(client, session, sessionmaker, shop):
    headers = with_key(shop.key)
    short = await client.post("/graphql", json=shop.order(quantity=51), headers=headers)  # 50 in stock

    again = await client.post("/graphql", json=shop.order(quantity=51), headers=headers)

    assert short.json()["data"]["placeOrder"]["userErrors"] == [
        {"field": "lines[0].quantity", "code": "insufficient_stock"}
    ]
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == short.content
    assert await orders_of(sessionmaker, shop.key.store_id) == 0


async def holds_a_record(app: FastAPI, key: Key, idempotency_key: str) -> bool:
    """Whether the app's idempotency store holds anything for the key (asked through the store's own protocol)."""
    store = services_of(app).idempotency
    probe = await store.reserve(scope_key(key.id, idempotency_key), "probe", 1.0)
    await store.release(probe)
    return probe.outcome is not Outcome.NEW


async def test_a_graphql_query_with_the_header_runs_every_time_and_keeps_nothing(app, client, shop):
    idempotency_key = uuid4().hex
    headers = with_key(shop.key, idempotency_key)
    query = {"query": "{ viewer { keyId } }"}

    first = await client.post("/graphql", json=query, headers=headers)
    again = await client.post("/graphql", json=query, headers=headers)

    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in again.headers
    assert not await holds_a_record(app, shop.key, idempotency_key)


@pytest.fixture
async def roomy_documents_app(database_url: str) -> AsyncIterator[FastAPI]:
    """Document limits raised past what the operation classifier reads before admission, as an operator may."""
    application = create_app(app_settings(database_url, max_query_tokens=10_000, max_query_aliases=5_000))
    yield application
    await services_of(application).engine.dispose()


async def test_a_query_whose_operation_lies_past_the_first_tokens_is_never_kept(roomy_documents_app, shop):
    idempotency_key = uuid4().hex
    # More tokens than are read before admission (aliases: graphql-core's validation recurses on repeated names).
    fragment = "fragment F on Query { " + " ".join(f"t{n}: __typename" for n in range(800)) + " }"
    query = {"query": f"{fragment} query Q {{ ...F viewer {{ keyId }} }}", "operationName": "Q"}
    transport = httpx.ASGITransport(app=roomy_documents_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        first = await http.post("/graphql", json=query, headers=with_key(shop.key, idempotency_key))
        again = await http.post("/graphql", json=query, headers=with_key(shop.key, idempotency_key))

    assert first.status_code == again.status_code == 200, first.text
    assert "idempotent-replayed" not in again.headers
    assert not await holds_a_record(roomy_documents_app, shop.key, idempotency_key)


async def test_a_mutations_answer_is_kept(app, client, shop):
    idempotency_key = uuid4().hex

    await client.post("/graphql", json=shop.order(), headers=with_key(shop.key, idempotency_key))

    assert await holds_a_record(app, shop.key, idempotency_key)


CREATE_PRODUCT = """
mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id description } } }
"""


@pytest.fixture
async def small_answers_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(app_settings(database_url, idempotency_max_response_bytes=1024))
    yield application
    await services_of(application).engine.dispose()


async def test_a_mutation_answer_over_the_size_limit_is_not_kept_and_its_retry_runs_nothing(
    small_answers_app, sessionmaker, shop
):
    headers = with_key(shop.key)
    product = {
        "query": CREATE_PRODUCT,
        "variables": {"input": {"name": "Big", "price": 1500, "description": "x" * 2000}},
    }
    transport = httpx.ASGITransport(app=small_answers_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        first = await http.post("/graphql", json=product, headers=headers)
        retry = await http.post("/graphql", json=product, headers=headers)

    assert first.status_code == 200
    assert first.json()["data"]["createProduct"]["product"]["description"] == "x" * 2000
    assert retry.status_code == 422
    assert retry.json()["errors"][0]["extensions"] == {
        "code": "idempotency_response_unavailable",
        "original_status": 200,
    }
    assert await products_named(sessionmaker, shop.key.store_id, "Big") == 1


async def test_a_rest_answer_over_the_size_limit_is_not_kept_and_its_retry_runs_nothing(
    small_answers_app, sessionmaker, shop
):
    headers = with_key(shop.key)
    product = {"name": "Big REST", "price": 1500, "description": "x" * 2000}
    transport = httpx.ASGITransport(app=small_answers_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        first = await http.post("/v1/products", json=product, headers=headers)
        retry = await http.post("/v1/products", json=product, headers=headers)

    assert first.status_code == 201
    assert retry.status_code == 422
    assert retry.json()["error"]["code"] == "idempotency_response_unavailable"
    assert retry.json()["error"]["original_status"] == 201
    assert await products_named(sessionmaker, shop.key.store_id, "Big REST") == 1


async def products_named(sessionmaker, store_id: int, name: str) -> int:
    statement = select(func.count()).select_from(Product).where(Product.store_id == store_id, Product.name == name)
    async with sessionmaker() as session:
        return int(await session.scalar(statement))


async def test_graphql_over_get_ignores_the_header(client, shop):
    headers = with_key(shop.key)
    params = {"query": "{ viewer { keyId } }"}

    await client.get("/graphql", params=params, headers=headers)
    again = await client.get("/graphql", params=params, headers=headers)

    assert again.status_code == 200
    assert "idempotent-replayed" not in again.headers


async def test_two_keys_of_one_store_may_use_the_same_idempotency_key(client, session, sessionmaker, shop):
    store = await session.get(Store, shop.key.store_id)
    other = await create_key(session, store)
    await session.commit()
    idempotency_key = uuid4().hex

    await client.post("/graphql", json=shop.order(), headers=with_key(shop.key, idempotency_key))
    second = await client.post("/graphql", json=shop.order(), headers=with_key(other, idempotency_key))

    assert "idempotent-replayed" not in second.headers
    assert await orders_of(sessionmaker, shop.key.store_id) == 2


async def test_an_invalid_header_on_graphql_is_refused_in_graphqls_shape(client, shop):
    response = await client.post("/graphql", json=shop.order(), headers=with_key(shop.key, "k" * 256))

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "idempotency_key_invalid"


async def test_authentication_answers_before_idempotency(client, shop):
    response = await client.post("/v1/products", json={}, headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401


async def test_a_v1_write_without_the_header_is_idempotency_key_required(client, shop):
    response = await client.post("/v1/products", json={"name": "Cotton T-Shirt"}, headers=shop.key.headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"
    assert response.json()["meta"]["request_id"] == response.headers["x-request-id"]


@pytest.fixture
async def redis_app(database_url: str) -> AsyncIterator[FastAPI]:
    async with redis_app_over(database_url) as application:
        yield application


async def test_with_redis_the_same_order_sent_twice_is_placed_once(redis_app, sessionmaker, shop):
    headers = with_key(shop.key)
    transport = httpx.ASGITransport(app=redis_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        first = await http.post("/graphql", json=shop.order(), headers=headers)
        again = await http.post("/graphql", json=shop.order(), headers=headers)

    assert await orders_of(sessionmaker, shop.key.store_id) == 1
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content

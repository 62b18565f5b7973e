"""Compiled mutations (schema/core/compiled/mutation.py): the /v1 writes and ``placeOrder`` run their resolver
directly and complete the payload by the plan, answering the bytes graphql-core answers: successes (on two stores
seeded alike, the written rows' own ids and times aside), user errors, not-found, refused variables, errors the
resolver raises and payloads the plan leaves to graphql-core, whose resolver still runs once."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

import schema.catalog.mutations as catalog_mutations
import schema.core.payloads as payloads
from db.models import Customer, Order, Product, Store
from schema.core.compiled.run import CompiledCounts
from storegraph.platform.errors import NotFound
from tests.schema.test_compiled_differential import compiled_of, standard_only
from tests.support.factories import Key, create_customer, create_key, create_order, create_product, create_store
from tests.support.rest_calls import writing

# Differ between the two stores however the write runs: the rows' ids (the seeded ones' too), slugs and times.
WRITTEN = frozenset(
    {
        "id",
        "customer_id",
        "product_id",
        "slug",
        "created_at",
        "updated_at",
        "order_number",
        "createdAt",
        "updatedAt",
        "orderNumber",
    }
)
PLACE_ORDER = (
    "mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id orderNumber status total "
    "items { productName quantity unitPrice } } customer { id totalOrders } userErrors { field code message } } }"
)


@dataclasses.dataclass(frozen=True)
class Shop:
    store: Store
    key: Key
    product: Product
    customer: Customer
    order: Order


async def seed_shop(session: AsyncSession) -> Shop:
    store = await create_store(session, name="Boutique")
    key = await create_key(session, store)
    product = await create_product(session, store, name="Robe", sku="R-1")
    customer = await create_customer(session, store, phone="0555000001")
    order = await create_order(session, store, customer, [(product, 2)])
    await session.commit()
    return Shop(store, key, product, customer, order)


@pytest.fixture
async def shops(session: AsyncSession) -> tuple[Shop, Shop]:
    """Two stores seeded alike: a write runs compiled in one and the standard way in the other."""
    return await seed_shop(session), await seed_shop(session)


def without_written(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: "<written>" if name in WRITTEN else without_written(item) for name, item in value.items()}
    if isinstance(value, list):
        return [without_written(item) for item in value]
    return value


def unthrottled(response: httpx.Response) -> bytes:
    """A GraphQL answer's bytes but for what the key's cost budget has left, which each request draws on."""
    answer = orjson.loads(response.content)
    answer["extensions"]["cost"]["throttleStatus"] = None
    return orjson.dumps(answer)


def headers_of(shop: Shop) -> dict[str, str]:
    return {**writing(shop.key), "X-Request-Id": "req_compiled_write"}


async def both_ways(
    app: FastAPI, client: httpx.AsyncClient, method: str, url: str, shop: Shop, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    """The same request compiled, then standard, as ``shop``'s key (each a new write)."""
    compiled = await client.request(method, url, headers=headers_of(shop), **kwargs)
    with standard_only(app):
        standard = await client.request(method, url, headers=headers_of(shop), **kwargs)
    return compiled, standard


def counted(app: FastAPI) -> tuple[CompiledCounts, CompiledCounts]:
    counts = compiled_of(app).counts
    return counts, dataclasses.replace(counts)


def write_requests(shop: Shop) -> list[tuple[str, str, dict[str, Any]]]:
    line = {"productId": str(shop.product.id), "quantity": 1}
    buyer = {"phone": "0555000002", "firstName": "Amine", "wilayaId": 16}
    return [
        ("POST", "/v1/products", {"json": {"name": "Tapis", "price": 1500, "sku": "T-1"}}),
        ("PATCH", f"/v1/orders/{shop.order.id}", {"json": {"status": "confirmed"}}),
        ("PATCH", f"/v1/products/{shop.product.id}", {"json": {"price": 1700}}),
        (
            "POST",
            "/graphql",
            {"json": {"query": PLACE_ORDER, "variables": {"input": {"customer": buyer, "lines": [line]}}}},
        ),
    ]


@pytest.mark.parametrize("index", range(4), ids=["create-product", "update-order", "update-product", "place-order"])
async def test_a_write_answers_as_graphql_core_answers_it(app, client, shops, index):
    compiled_shop, standard_shop = shops
    method, url, kwargs = write_requests(compiled_shop)[index]
    counts, before = counted(app)

    compiled = await client.request(method, url, headers=headers_of(compiled_shop), **kwargs)
    method, url, kwargs = write_requests(standard_shop)[index]
    with standard_only(app):
        standard = await client.request(method, url, headers=headers_of(standard_shop), **kwargs)

    assert compiled.status_code == standard.status_code, compiled.text
    assert b'"errors"' not in compiled.content, compiled.text
    assert b'"error"' not in compiled.content, compiled.text
    assert without_written(compiled.json()) == without_written(standard.json())
    assert counts.mutations - before.mutations == 1
    assert counts.fell_back == before.fell_back


async def test_an_order_s_items_primed_by_the_mutation_are_not_read_again(app, client, shops, count_statements):
    compiled_shop, standard_shop = shops
    with count_statements() as compiled:
        await client.patch(
            f"/v1/orders/{compiled_shop.order.id}", json={"status": "confirmed"}, headers=headers_of(compiled_shop)
        )
    with standard_only(app), count_statements() as standard:
        await client.patch(
            f"/v1/orders/{standard_shop.order.id}", json={"status": "confirmed"}, headers=headers_of(standard_shop)
        )

    assert compiled.count == standard.count, (compiled.statements, standard.statements)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/v1/products", {"name": "Tapis", "price": 1500, "sku": "R-1"}),
        ("PATCH", "/v1/orders/{order}", {"status": "delivered"}),
        ("PATCH", "/v1/orders/999999999", {"status": "confirmed"}),
        ("PATCH", "/v1/products/999999999", {"price": 1700}),
        ("DELETE", "/v1/products/999999999", None),
    ],
    ids=["sku-conflict", "invalid-transition", "order-not-found", "product-not-found", "delete-not-found"],
)
async def test_a_refused_write_answers_the_same_bytes(app, client, shops, method, url, body):
    shop = shops[0]
    kwargs = {} if body is None else {"json": body}
    counts, before = counted(app)

    compiled, standard = await both_ways(app, client, method, url.format(order=shop.order.id), shop, **kwargs)

    assert compiled.status_code == standard.status_code >= 400
    assert compiled.content == standard.content
    assert counts.mutations - before.mutations == 1


@pytest.mark.parametrize(
    "body",
    [
        {"query": PLACE_ORDER, "variables": {"input": {"customer": {"phone": 5}, "lines": []}}},
        {"query": PLACE_ORDER, "variables": {"input": {"lines": [{"productId": "abc", "quantity": 1}]}}},
        {"query": 'mutation { deleteProduct(id: "999999999") { deletedId userErrors { code } } __typename }'},
        {"query": 'mutation { deleteProduct(id: "999999999") { deletedId @skip(if: true) userErrors { code } } }'},
    ],
    ids=["refused-variables", "bad-id", "two-root-fields", "skip"],
)
async def test_a_graphql_mutation_answers_the_same_bytes(app, client, shops, body):
    compiled, standard = await both_ways(app, client, "POST", "/graphql", shops[0], json=body)

    assert compiled.status_code == standard.status_code
    assert unthrottled(compiled) == unthrottled(standard)


async def test_a_mutation_the_plan_does_not_cover_runs_the_standard_way(app, client, shops):
    counts, before = counted(app)
    body = {"query": 'mutation { a: deleteProduct(id: "1") { deletedId } b: deleteProduct(id: "2") { deletedId } }'}

    await client.post("/graphql", json=body, headers=headers_of(shops[0]))

    assert counts.mutations == before.mutations
    assert counts.not_covered - before.not_covered == 1


@pytest.mark.parametrize("error", [RuntimeError("boom"), NotFound("product", "7")], ids=["unexpected", "api-error"])
async def test_an_error_the_resolver_raises_is_answered_as_graphql_core_answers_it(
    app, client, shops, monkeypatch, error
):
    ran: list[int] = []

    async def failing(*_args: Any, **_kwargs: Any) -> Any:
        ran.append(1)
        raise error

    monkeypatch.setattr(catalog_mutations, "run_mutation_on_driver", failing)  # createProduct's
    body = {"name": "Tapis", "price": 1500}
    counts, before = counted(app)

    compiled, standard = await both_ways(app, client, "POST", "/v1/products", shops[0], json=body)
    graphql = {"query": 'mutation { createProduct(input: {name: "T", price: 1}) { product { id } } }'}
    compiled_graphql, standard_graphql = await both_ways(app, client, "POST", "/graphql", shops[0], json=graphql)

    assert compiled.status_code == standard.status_code >= 400
    assert compiled.content == standard.content
    assert unthrottled(compiled_graphql) == unthrottled(standard_graphql)
    assert len(ran) == 4  # once a request: graphql-core reported the compiled run's error without running it again
    assert counts.fell_back - before.fell_back == 2


async def test_a_payload_the_plan_cannot_complete_is_completed_by_graphql_core_without_a_second_write(
    app, client, shops, monkeypatch
):
    ran: list[int] = []
    original = payloads.run_mutation_on_driver  # what createProduct runs its work with

    async def priceless(info: Any, work: Any) -> Any:
        ran.append(1)
        product, errors = await original(info, work)
        # A null where the type is non-null: the plan gives way, graphql-core answers its error.
        return _Priceless(product), errors

    monkeypatch.setattr(catalog_mutations, "run_mutation_on_driver", priceless)
    counts, before = counted(app)

    compiled, standard = await both_ways(app, client, "POST", "/graphql", shops[0], json=_create("Tapis"))

    assert compiled.status_code == standard.status_code
    assert orjson.loads(compiled.content)["errors"][0]["path"] == ["createProduct", "product", "price"]
    assert without_written(orjson.loads(unthrottled(compiled))) == without_written(orjson.loads(unthrottled(standard)))
    assert len(ran) == 2
    assert counts.fell_back - before.fell_back == 1
    assert counts.mutations == before.mutations


class _Priceless:
    """A written product row whose price reads null."""

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return None if name == "price" else getattr(self._row, name)


def _create(name: str) -> dict[str, Any]:
    return {
        "query": "mutation C($input: CreateProductInput!) { createProduct(input: $input) { product { id name price } "
        "userErrors { field code message } } }",
        "variables": {"input": {"name": name, "price": 1500}},
    }

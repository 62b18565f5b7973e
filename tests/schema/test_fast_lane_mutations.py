"""Mutations in the fast lane (schema/core/compiled/fast_lane.py): the hot writes (every /v1 write and
``placeOrder``) run their plan without strawberry's execution wrapper, and answer the bytes the standard way (the
same plan under strawberry's ``execute``) answers: successes, refusals, errors the resolver raises and payloads
graphql-core completes; a request the lane cannot take (a refused charge, a mutation over GET) runs the standard
way from the start, having charged and run nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import schema.catalog.mutations as catalog_mutations
from db.models import Product
from storegraph.platform.errors import NotFound
from storegraph.platform.limits.cost_budget import MemoryCostBudgets
from tests.conftest import services_of
from tests.schema.test_compiled_differential import compiled_of
from tests.schema.test_compiled_mutations import (
    Shop,
    counted,
    headers_of,
    seed_shop,
    unthrottled,
    without_written,
    write_requests,
)


@pytest.fixture
async def shops(session: AsyncSession) -> tuple[Shop, Shop]:
    """Two stores seeded alike: a write runs in the fast lane in one and the standard way in the other."""
    return await seed_shop(session), await seed_shop(session)


@contextlib.contextmanager
def without_fast_lane(app: FastAPI) -> Iterator[None]:
    schema = services_of(app).schema
    lane = schema.fast_lane
    schema.fast_lane = None
    try:
        yield
    finally:
        schema.fast_lane = lane


def comparable(response: httpx.Response) -> Any:
    answer = orjson.loads(unthrottled(response)) if response.request.url.path == "/graphql" else response.json()
    return without_written(answer)


@pytest.mark.parametrize("index", range(4), ids=["create-product", "update-order", "update-product", "place-order"])
async def test_a_hot_write_takes_the_fast_lane_and_answers_as_the_standard_way(app, client, shops, index):
    lane_shop, standard_shop = shops
    counts, before = counted(app)
    method, url, kwargs = write_requests(lane_shop)[index]

    by_lane = await client.request(method, url, headers=headers_of(lane_shop), **kwargs)
    assert counts.fast - before.fast == 1  # no silent fallback: the lane answered it
    assert counts.mutations - before.mutations == 1
    method, url, kwargs = write_requests(standard_shop)[index]
    with without_fast_lane(app):
        standard = await client.request(method, url, headers=headers_of(standard_shop), **kwargs)

    assert by_lane.status_code == standard.status_code < 300, by_lane.text
    assert counts.fast - before.fast == 1
    assert counts.mutations - before.mutations == 2
    assert counts.fell_back == before.fell_back
    assert comparable(by_lane) == comparable(standard)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/v1/products", {"name": "Tapis", "price": 1500, "sku": "R-1"}),
        ("PATCH", "/v1/orders/{order}", {"status": "delivered"}),
        ("PATCH", "/v1/orders/999999999", {"status": "confirmed"}),
        ("POST", "/graphql", {"query": 'mutation { deleteProduct(id: "999999999") { deletedId } }'}),
    ],
    ids=["sku-conflict", "invalid-transition", "order-not-found", "graphql-not-found"],
)
async def test_a_refused_write_answers_the_same_bytes_by_the_lane(app, client, shops, method, url, body):
    shop = shops[0]
    url = url.format(order=shop.order.id)
    counts, before = counted(app)

    by_lane = await client.request(method, url, headers=headers_of(shop), json=body)
    with without_fast_lane(app):
        standard = await client.request(method, url, headers=headers_of(shop), json=body)

    assert counts.fast - before.fast == 1
    assert by_lane.status_code == standard.status_code
    if url == "/graphql":
        assert unthrottled(by_lane) == unthrottled(standard)
    else:
        assert by_lane.content == standard.content


@pytest.mark.parametrize("error", [RuntimeError("boom"), NotFound("product", "7")], ids=["unexpected", "api-error"])
async def test_an_error_the_resolver_raises_in_the_lane_is_answered_as_the_standard_way(
    app, client, shops, monkeypatch, caplog, error
):
    ran: list[int] = []

    async def failing(*_args: Any, **_kwargs: Any) -> Any:
        ran.append(1)
        raise error

    monkeypatch.setattr(catalog_mutations, "run_mutation_on_driver", failing)  # createProduct's
    shop = shops[0]
    graphql = {"query": 'mutation { createProduct(input: {name: "T", price: 1}) { product { id } } }'}
    counts, before = counted(app)

    caplog.clear()
    by_lane = await client.post("/graphql", json=graphql, headers=headers_of(shop))
    lane_logged = [record.getMessage() for record in caplog.records if record.name == "storegraph.graphql"]
    caplog.clear()
    with without_fast_lane(app):
        standard = await client.post("/graphql", json=graphql, headers=headers_of(shop))
    standard_logged = [record.getMessage() for record in caplog.records if record.name == "storegraph.graphql"]

    assert by_lane.status_code == standard.status_code
    assert unthrottled(by_lane) == unthrottled(standard)
    assert lane_logged == standard_logged  # the schema's error log, as strawberry's execution writes it
    assert len(ran) == 2  # once a request
    assert counts.fell_back - before.fell_back == 2
    assert counts.fast == before.fast


async def test_a_mutation_over_get_is_left_to_the_standard_way(app, client, shops):
    counts, before = counted(app)

    response = await client.get(
        "/graphql",
        params={"query": 'mutation { deleteProduct(id: "1") { deletedId } }'},
        headers=headers_of(shops[0]),
    )

    assert response.status_code == 405
    assert counts.fast == before.fast
    assert counts.mutations == before.mutations


async def test_a_charge_the_budget_refuses_runs_nothing_and_is_answered_the_standard_way(app, client, shops, session):
    endpoint = app.state.graphql_endpoint
    budgets, endpoint.cost_budgets = endpoint.cost_budgets, MemoryCostBudgets(5, 0)  # a mutation costs ten or more
    shop = shops[0]
    body = {"query": 'mutation { createProduct(input: {name: "Tapis", price: 1500}) { product { id } } }'}
    counts, before = counted(app)
    try:
        by_lane = await client.post("/graphql", json=body, headers=headers_of(shop))
        with without_fast_lane(app):
            standard = await client.post("/graphql", json=body, headers=headers_of(shop))
    finally:
        endpoint.cost_budgets = budgets

    assert by_lane.status_code == standard.status_code
    assert by_lane.content == standard.content
    assert orjson.loads(by_lane.content)["errors"][0]["extensions"]["code"] == "throttled"
    assert counts.fast == before.fast
    assert counts.mutations == before.mutations
    written = await session.scalar(
        select(func.count()).select_from(Product).where(Product.store_id == shop.store.id, Product.name == "Tapis")
    )
    assert written == 0


async def test_the_lane_answers_only_when_the_plans_run(app, client, shops):
    """The standard way still answers everything when compiled execution is off (the differential's reference)."""
    compiled = compiled_of(app)
    counts, before = counted(app)
    method, url, kwargs = write_requests(shops[0])[0]
    compiled.enabled = False
    try:
        response = await client.request(method, url, headers=headers_of(shops[0]), **kwargs)
    finally:
        compiled.enabled = True

    assert response.status_code == 201
    assert counts.fast == before.fast
    assert counts.mutations == before.mutations

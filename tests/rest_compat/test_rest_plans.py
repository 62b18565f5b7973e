"""A /v1 read's plan builds the row's REST objects itself (rest_compat/rest_plans.py): the same bytes as the
plan's GraphQL objects converted by the row's fragment, for every hot read, and a row that reads through it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rest_compat import handler
from rest_compat.handler import compile_table
from rest_compat.rest_plans import RestPlans
from schema.core.build import build_schema
from schema.core.compiled.plan import Plan
from tests.schema.test_compiled_execution import headers_of, hot_requests
from tests.support.compiled_queries import Seeded, answer, seed_compiled


@pytest.fixture
async def seeded(session: AsyncSession) -> Seeded:
    return await seed_compiled(session)


class BuiltCount:
    """How many /v1 answers took their objects as the plan built them, and how many converted them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.built = 0
        self.converted = 0
        real = handler.rest_data

        def counted(*args: Any, built: bool = False) -> Any:
            if built:
                self.built += 1
            else:
                self.converted += 1
            return real(*args, built=built)

        monkeypatch.setattr(handler, "rest_data", counted)


def rest_reads(seeded: Seeded) -> list[str]:
    """The hot reads, and a request of every other read of the table that answers the store's rows (but the usage
    and the quotas, which count the requests that ask for them)."""
    customer, review = seeded.customer_ids[0], seeded.crm_rows.review_ids[0]
    others = [
        "/v1/customer-tags",
        f"/v1/customers/{customer}/addresses",
        f"/v1/customers/{customer}/analytics",
        "/v1/delivery-zones",
        "/v1/keys",
        "/v1/reviews?limit=3",
        "/v1/reviews/stats",
        f"/v1/reviews/{review}",
    ]
    return [url for method, url, _ in hot_requests(seeded) if method == "GET"] + others


def without_reshaping(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(_self: RestPlans, _plan: Plan) -> Plan | None:
        return None

    monkeypatch.setattr(RestPlans, "__call__", nothing)


async def test_every_read_takes_the_rest_objects_its_plan_built(client, seeded, monkeypatch):
    count = BuiltCount(monkeypatch)

    for url in rest_reads(seeded):
        assert (await client.get(url, headers=headers_of(seeded.token))).status_code == 200, url

    assert (count.built, count.converted) == (len(rest_reads(seeded)), 0)  # none falls back to converting


async def test_every_read_answers_the_same_bytes_built_as_rest_and_converted(client, seeded, monkeypatch):
    built: dict[str, bytes] = {}
    for url in rest_reads(seeded):
        built[url] = answer(await client.get(url, headers=headers_of(seeded.token)))

    without_reshaping(monkeypatch)
    for url in rest_reads(seeded):
        converted = answer(await client.get(url, headers=headers_of(seeded.token)))
        assert built[url] == converted, url


@pytest.mark.parametrize(
    "path",
    [
        lambda seeded: "/v1/customers?limit=50",
        lambda seeded: f"/v1/customers/{seeded.customer_ids[0]}",
        lambda seeded: "/v1/orders?limit=50",
        lambda seeded: f"/v1/orders/{seeded.order_ids[0]}",
        lambda seeded: "/v1/products?limit=50",
        lambda seeded: f"/v1/products/{seeded.product_ids[0]}",
        lambda seeded: "/v1/usage",
        lambda seeded: "/v1/quotas",
    ],
    ids=["customers", "customer", "orders", "order", "products", "product", "usage", "quotas"],
)
async def test_a_hot_read_takes_its_rest_objects_from_its_plan(
    client, seeded, monkeypatch, path: Callable[[Seeded], str]
):
    count = BuiltCount(monkeypatch)

    response = await client.get(path(seeded), headers=headers_of(seeded.token))

    assert response.status_code == 200, response.text
    assert (count.built, count.converted) == (1, 0)


async def test_a_read_without_its_plans_reshaping_converts_its_objects(client, seeded, monkeypatch):
    without_reshaping(monkeypatch)
    count = BuiltCount(monkeypatch)

    response = await client.get("/v1/customers?limit=50", headers=headers_of(seeded.token))

    assert response.status_code == 200, response.text
    assert (count.built, count.converted) == (0, 1)


async def test_a_rows_document_sent_to_graphql_answers_graphqls_objects(client, seeded):
    """The reshaped plan is the row's own: the same document on /graphql is answered as any query."""
    (row,) = [row for row in compile_table(build_schema()._schema) if row.endpoint.label == "GET /v1/customers"]
    variables = row.variables({}, {"limit": 2}, None)
    rest = await client.get("/v1/customers?limit=2", headers=headers_of(seeded.token))  # its plan reshaped first
    assert "first_name" in rest.json()["data"]["items"][0]

    response = await client.post(
        "/graphql",
        json={"query": row.document, "variables": variables, "operationName": row.endpoint.name},
        headers=headers_of(seeded.token),
    )

    assert response.status_code == 200, response.text
    node = response.json()["data"]["customers"]["nodes"][0]
    assert "firstName" in node
    assert "first_name" not in node

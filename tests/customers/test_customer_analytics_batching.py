"""Customer analytics cost a constant number of statements: one per aggregate for a whole level of customers,
however many customers and orders; the reads run compiled, with the same answers and no more statements than
graphql-core's; and the query cost counts analytics as a relation and its lists once."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from typing import Any

from graphql import parse

from schema.core.build import build_schema
from schema.core.cost import QueryCostAnalyzer
from tests.schema.test_compiled_differential import compiled_of, standard_only
from tests.support.analytics import Line, add_order
from tests.support.compiled_queries import answer
from tests.support.factories import Key, create_customer, create_key, create_product, create_store

BASE = datetime(2026, 2, 1, 9, 0, 0)
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
FULL = (
    "totalOrders totalSpent averageOrder firstOrderAt lastOrderAt ordersByStatus { status count } "
    "topProducts(limit: 3) { product { id name } productId productName quantity orderCount }"
)
PAGE = f"{{ customers(first: 50) {{ nodes {{ id analytics {{ {FULL} }} }} }} }}"
ONE = f"query($id: ID!) {{ customer(id: $id) {{ id analytics {{ {FULL} }} }} }}"
# auth, the customers page, orders by status, top products, the products of the top products
PAGE_STATEMENTS = 5
SCHEMA = build_schema()._schema


async def store_with_customers(session, customers: int, orders_each: int = 4) -> tuple[Key, list[int]]:
    store = await create_store(session)
    key = await create_key(session, store)
    products = [await create_product(session, store) for _ in range(4)]
    ids = []
    for number in range(customers):
        customer = await create_customer(session, store, created_at=BASE + timedelta(minutes=number))
        ids.append(customer.id)
        for order in range(orders_each):
            await add_order(
                session,
                store,
                customer,
                total=1000 + order,
                status=("pending", "delivered", "cancelled", "shipped")[order % 4],
                created_at=BASE + timedelta(hours=order),
                lines=(Line(products[order % 4], order + 1), Line(products[(order + 1) % 4], 1)),
            )
    await session.commit()
    return key, ids


async def measure(client, count_statements, key: Key, body: dict) -> tuple[dict, list[str]]:
    await client.post("/graphql", json={"query": "{ viewer { keyId } }"}, headers=key.headers)
    with count_statements() as counter:
        response = await client.post("/graphql", json=body, headers=key.headers)
    payload = response.json()
    assert "errors" not in payload, payload
    return payload, [statement for statement in counter.statements if not TRANSACTION_CONTROL.match(statement)]


async def test_analytics_of_50_customers_cost_the_statements_of_1(session, client, count_statements):
    one_key, _ = await store_with_customers(session, 1)
    many_key, _ = await store_with_customers(session, 50)

    one, one_statements = await measure(client, count_statements, one_key, {"query": PAGE})
    many, many_statements = await measure(client, count_statements, many_key, {"query": PAGE})

    assert len(one["data"]["customers"]["nodes"]) == 1
    assert len(many["data"]["customers"]["nodes"]) == 50
    for node in many["data"]["customers"]["nodes"]:
        assert node["analytics"]["totalOrders"] == 3
        assert len(node["analytics"]["topProducts"]) == 3
    assert len(one_statements) == len(many_statements) == PAGE_STATEMENTS, many_statements


async def test_a_customers_analytics_cost_the_same_statements_for_2_orders_and_200(session, client, count_statements):
    few_key, [few] = await store_with_customers(session, 1, orders_each=2)
    many_key, [many] = await store_with_customers(session, 1, orders_each=200)

    _, few_statements = await measure(client, count_statements, few_key, {"query": ONE, "variables": {"id": few}})
    _, many_statements = await measure(client, count_statements, many_key, {"query": ONE, "variables": {"id": many}})

    # auth, the customer, orders by status, top products, their products
    assert len(few_statements) == len(many_statements) == 5, many_statements


async def test_v1_analytics_cost_the_same_statements_for_2_orders_and_200(session, client, count_statements):
    few_key, [few] = await store_with_customers(session, 1, orders_each=2)
    many_key, [many] = await store_with_customers(session, 1, orders_each=200)
    counts = []
    for key, customer in ((few_key, few), (many_key, many)):
        await client.get("/v1/whoami", headers=key.headers)
        with count_statements() as counter:
            response = await client.get(f"/v1/customers/{customer}/analytics", headers=key.headers)
        assert response.status_code == 200, response.text
        counts.append([s for s in counter.statements if not TRANSACTION_CONTROL.match(s)])

    # auth, the store's data version (the ETag), the customer, orders by status, top products
    assert len(counts[0]) == len(counts[1]) == 5, counts[1]


async def test_analytics_run_compiled_through_graphql_and_v1_with_the_standard_answers(app, session, client):
    key, ids = await store_with_customers(session, 3)
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/graphql", {"json": {"query": PAGE}}),
        ("POST", "/graphql", {"json": {"query": ONE, "variables": {"id": str(ids[0])}}}),
        ("GET", f"/v1/customers/{ids[1]}/analytics?top_products_limit=2", {}),
    ]
    counts = compiled_of(app).counts
    before = dataclasses.replace(counts)

    headers = {**key.headers, "X-Request-Id": "req_analytics"}
    for method, url, kwargs in requests:
        compiled = answer(await client.request(method, url, headers=headers, **kwargs))
        with standard_only(app):
            standard = answer(await client.request(method, url, headers=headers, **kwargs))
        assert compiled == standard
        assert b'"errors"' not in compiled

    assert counts.compiled - before.compiled == len(requests)
    assert (counts.fell_back, counts.not_covered) == (before.fell_back, before.not_covered)


async def test_the_compiled_way_runs_no_more_statements_than_the_standard_one(app, session, client, count_statements):
    key, _ = await store_with_customers(session, 5)
    _, compiled = await measure(client, count_statements, key, {"query": PAGE})
    with standard_only(app):
        _, standard = await measure(client, count_statements, key, {"query": PAGE})

    assert len(compiled) <= len(standard), (compiled, standard)


async def test_a_refused_limit_is_answered_as_graphql_core_answers_it(app, session, client):
    key, ids = await store_with_customers(session, 1, orders_each=1)
    body = {"query": f"{{ customer(id: {ids[0]}) {{ analytics {{ topProducts(limit: 0) {{ quantity }} }} }} }}"}
    counts = compiled_of(app).counts
    fell_back = counts.fell_back

    compiled = answer(await client.post("/graphql", json=body, headers=key.headers))
    with standard_only(app):
        standard = answer(await client.post("/graphql", json=body, headers=key.headers))

    assert compiled == standard
    assert b'"code":"validation_error"' in compiled
    assert counts.fell_back == fell_back + 1


def requested_cost(document: str) -> int:
    return QueryCostAnalyzer().plan(SCHEMA, parse(document), None, None, query=document).requested.cost


def test_analytics_costs_as_a_relation_and_its_lists_as_one_object_each():
    one = '{ customer(id: "1") { analytics { totalSpent ordersByStatus { count } topProducts { product { id } } } } }'
    page = "{ customers(first: 50) { nodes { analytics { totalSpent topProducts { quantity } } } } }"

    assert requested_cost('{ customer(id: "1") { analytics { totalSpent averageOrder } } }') == 1 + 1
    assert requested_cost(one) == 1 + 1 + 1 + 1 + 1
    assert requested_cost(page) == 1 + 50 * (1 + 1 + 1)

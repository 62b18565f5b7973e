"""Compiled execution (schema/core/compiled/): the hot reads take it through /graphql and /v1, with the same
answers and no more statements than graphql-core's; what it cannot answer exactly goes to graphql-core in the same
request transaction; and a broken plan is caught by the differential comparison."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from graphql import GraphQLObjectType, parse
from graphql.execution.values import get_variable_values
from sqlalchemy.ext.asyncio import AsyncSession

import schema.core.compiled.run as compiled_run
from resolvers.core.context import RequestDatabase
from schema.core.build import build_schema
from schema.core.compiled.compile import compile_operation
from schema.core.compiled.plan import Child, Plan, Resolved, Shape, Step, shape_of
from storegraph.platform.limits.cost_budget import CostCharge, MemoryCostBudget, ThrottleStatus
from tests.schema.test_compiled_differential import compiled_of, standard_only
from tests.support.compiled_queries import Seeded, answer, seed_compiled

W1 = (
    "query W1($first: Int!) { customers(first: $first) { nodes { id firstName lastName phone email totalOrders "
    "totalSpent createdAt } pageInfo { hasNextPage endCursor } } }"
)
W1_EDGES = (
    "query { customers(first: 3) { totalCount edges { cursor node { id __typename ...Names } } "
    "pageInfo { startCursor hasPreviousPage } } } fragment Names on Customer { firstName lastName }"
)
W2 = (
    "query W2 { customers(first: 50) { nodes { id firstName orders(first: 5) { nodes { id orderNumber status "
    "total createdAt } } } } }"
)
W3 = "query W3($id: ID!) { customer(id: $id) { id firstName lastName phone email wilayaId address bannedAt isBanned } }"
ORDERS = (
    "query Orders { orders(first: 20) { totalCount nodes { id orderNumber status total createdAt "
    "items { quantity unitPrice product { id name price } } statusHistory { fromStatus toStatus createdAt } "
    "customer { id firstName } } pageInfo { hasNextPage endCursor } } }"
)
ORDER = (
    "query Order($id: ID!) { order(id: $id) { id status paymentStatus deliveryType items { id sku productId "
    "product { slug } } statusHistory { field note actorKeyId } customer { email orders(first: 2) { totalCount } } } }"
)
LEDGERS = (
    "query Ledgers { customers(first: 10) { nodes { id loyaltyBalance isLoyaltyEnabled houseAccountBalance "
    "houseAccountLimit isHouseAccountEnabled loyaltyTransactions(first: 3) { totalCount nodes { id kind delta reason "
    "balanceAfter orderId createdAt } pageInfo { hasNextPage endCursor } } houseAccountTransactions(first: 3) { "
    "edges { cursor node { id kind amount balanceAfter } } } } } }"
)
CATALOG = (
    "query Catalog($id: ID!) { products(first: 10, sort: {field: PRICE}) { edges { cursor node { id sku "
    "comparePrice costPrice status } } } product(id: $id) { description trackStock updatedAt } "
    "landingPages { nodes { id title productId product { id name } } } }"
)

# The store-level reads; a key's lastUsedAt is left out, refreshed once a minute whatever way answers.
STORE = (
    "query Store { viewer { keyId keyType env scopes storeId storeName plan } whoami { keyId } store { id name slug "
    "currency phoneRegion plan settings metadata createdAt updatedAt limits { requestsPerMinute requestsPerMonth "
    "signupsPerMonth webhooksPerMonth publicRequestsPerMinute publicRequestsPerMonth } } }"
)
KEYS_AND_HOOKS = (
    "query KeysAndHooks($id: ID!) { apiKeys(first: 3) { totalCount nodes { id keyId type env name scopes "
    "allowedOrigins createdAt revokedAt prefix } pageInfo { hasNextPage endCursor } } webhookSubscriptions { nodes { "
    "id url events isActive disabledReason failingSince createdAt updatedAt } } webhookDeliveries(subscriptionId: $id, "
    "first: 3) { totalCount edges { cursor node { id deliveryId eventId event attempt succeeded responseStatus "
    "durationMs responseExcerpt error createdAt } } } }"
)
TRACKING = (
    "query Tracking { signups(first: 2) { totalCount nodes { id email phone name source campaign metadata counted "
    'acceptedAt createdAt } } eventCounts(from: "2025-02-27", to: "2025-03-05") { from to total counts { event day '
    'count } } pageViews: eventCounts(to: "2025-03-05", event: "page_view") { total } }'
)


@pytest.fixture
async def seeded(session: AsyncSession) -> Seeded:
    return await seed_compiled(session)


def headers_of(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Request-Id": "req_compiled"}


async def both_ways(app: FastAPI, client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> bytes:
    """The answer, which must be the same bytes standard and compiled."""
    compiled = answer(await client.request(method, url, **kwargs))
    with standard_only(app):
        standard = answer(await client.request(method, url, **kwargs))
    assert compiled == standard
    return compiled


def hot_requests(seeded: Seeded) -> list[tuple[str, str, dict[str, Any]]]:
    customer, order, product, page = (
        seeded.customer_ids[0],
        seeded.order_ids[0],
        seeded.product_ids[0],
        seeded.landing_page_ids[0],
    )
    graphql = [
        {"query": W1, "variables": {"first": 50}},
        {"query": W1_EDGES},
        {"query": W2},
        {"query": W3, "variables": {"id": str(customer)}},
        {"query": ORDERS},
        {"query": ORDER, "variables": {"id": str(order)}},
        {"query": CATALOG, "variables": {"id": str(product)}},
        {"query": LEDGERS},
        {"query": STORE},
        {"query": KEYS_AND_HOOKS, "variables": {"id": str(seeded.store_rows.subscription_ids[0])}},
        {"query": TRACKING},
    ]
    return [
        *(("POST", "/graphql", {"json": body}) for body in graphql),
        ("GET", "/v1/customers?limit=50", {}),
        ("GET", f"/v1/customers/{customer}", {}),
        ("GET", f"/v1/customers/{customer}/orders?limit=5", {}),
        ("GET", f"/v1/customers/{customer}/loyalty?limit=3", {}),
        ("GET", f"/v1/customers/{customer}/house-account?limit=3", {}),
        ("GET", "/v1/orders?limit=50", {}),
        ("GET", f"/v1/orders?limit=3&status=pending&customer_id={customer}", {}),
        ("GET", f"/v1/orders/{order}", {}),
        ("GET", "/v1/products?limit=50", {}),
        ("GET", f"/v1/products/{product}", {}),
        ("GET", "/v1/landing-pages", {}),
        ("GET", f"/v1/landing-pages/{page}", {}),
        ("GET", "/v1/whoami", {}),
        ("GET", "/v1/store", {}),
        ("GET", "/v1/webhooks", {}),
        ("GET", f"/v1/webhooks/{seeded.store_rows.subscription_ids[0]}/deliveries?limit=2", {}),
        ("GET", "/v1/events/counts?from=2025-02-27&to=2025-03-05", {}),
    ]


async def test_the_hot_reads_take_the_compiled_way_through_graphql_and_v1(app, client, seeded):
    counts = compiled_of(app).counts
    before = dataclasses.replace(counts)

    for method, url, kwargs in hot_requests(seeded):
        compiled = await both_ways(app, client, method, url, headers=headers_of(seeded.token), **kwargs)
        assert b'"errors"' not in compiled or b'"errors":null' in compiled, compiled

    assert counts.compiled - before.compiled == len(hot_requests(seeded))
    assert counts.fast - before.fast == len(hot_requests(seeded))
    assert counts.fell_back == before.fell_back
    assert counts.not_covered == before.not_covered


async def test_a_plan_that_gives_way_draws_on_the_cost_bucket_once(app, client, seeded, monkeypatch):
    drawn: list[int] = []
    charge, refund = MemoryCostBudget.charge, MemoryCostBudget.refund

    async def counted_charge(self: MemoryCostBudget, requested: int) -> CostCharge:
        taken = await charge(self, requested)
        drawn.append(requested if taken.accepted else 0)
        return taken

    async def counted_refund(self: MemoryCostBudget, amount: int) -> ThrottleStatus:
        drawn.append(-amount)
        return await refund(self, amount)

    monkeypatch.setattr(MemoryCostBudget, "charge", counted_charge)
    monkeypatch.setattr(MemoryCostBudget, "refund", counted_refund)
    # A foreign id: the plan finds no row, gives way, and graphql-core answers not_found.
    body = {"query": W3, "variables": {"id": str(seeded.foreign_customer_id)}}

    response = await client.post("/graphql", json=body, headers=headers_of(seeded.token))

    cost = response.json()["extensions"]["cost"]
    assert response.json()["errors"][0]["extensions"]["code"] == "not_found"
    assert sum(drawn) == cost["actualQueryCost"] == 1


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (W2, None),
        (W1_EDGES, None),
        (ORDERS, None),
        (ORDER, "order"),
        (CATALOG, "product"),
        (LEDGERS, None),
        (STORE, None),
        (KEYS_AND_HOOKS, "subscription"),
        (TRACKING, None),
        (
            '{ customers(first: 2, filter: {search: "nobody"}) { nodes { id orders(first: 2) { nodes { id } } } } }',
            None,
        ),
    ],
    ids=[
        "nested",
        "edges",
        "orders",
        "order",
        "catalog",
        "ledgers",
        "store",
        "keys-and-hooks",
        "tracking",
        "empty-level",
    ],
)
async def test_the_compiled_way_runs_no_more_statements(app, client, seeded, count_statements, query, variables):
    ids = {
        "order": str(seeded.order_ids[0]),
        "product": str(seeded.product_ids[0]),
        "subscription": str(seeded.store_rows.subscription_ids[0]),
    }
    body = {"query": query, "variables": {"id": ids[variables]} if variables else None}
    headers = headers_of(seeded.token)
    await client.post("/graphql", json=body, headers=headers)  # the key's last use is fresh: one lookup from here
    with count_statements() as compiled:
        await client.post("/graphql", json=body, headers=headers)
    with standard_only(app), count_statements() as standard:
        response = await client.post("/graphql", json=body, headers=headers)

    assert "errors" not in response.json(), response.json()
    assert compiled.count <= standard.count, (compiled.statements, standard.statements)


@pytest.mark.parametrize(
    ("token", "query", "variables", "code"),
    [
        ("orders_only", W3, "own", "insufficient_scope"),
        ("full", W3, "foreign", "not_found"),
        ("full", W3, "garbage", "validation_error"),
        ("full", "{ customers(first: 0) { nodes { id } } }", None, "validation_error"),
        ("full", '{ customers(after: "forged") { nodes { id } } }', None, "invalid_cursor"),
        ("full", '{ customers(first: 2) { nodes { orders(after: "x") { nodes { id } } } } }', None, "invalid_cursor"),
        # An order's customer needs customers:read; the rest of the order is answered beside the error.
        ("orders_only", ORDER, "order", "insufficient_scope"),
        ("full", ORDER, "foreign_order", "not_found"),
        ("full", '{ orders(filter: {customerId: "abc"}) { nodes { id } } }', None, "validation_error"),
        ("full", '{ products(first: 2, after: "forged") { nodes { id } } }', None, "invalid_cursor"),
        ("full", "query P($id: ID!) { product(id: $id) { id } }", "foreign_product", "not_found"),
        ("orders_only", STORE, None, "insufficient_scope"),
        ("orders_only", "{ apiKeys { nodes { id } } usage { requestsToday } }", None, "insufficient_scope"),
        ("full", '{ apiKeys(first: 2, after: "forged") { nodes { id } } }', None, "invalid_cursor"),
        ("full", KEYS_AND_HOOKS, "foreign_subscription", "not_found"),
        ("full", KEYS_AND_HOOKS, "garbage", "validation_error"),
        ("full", '{ eventCounts(from: "2025-03-05", to: "2025-03-01") { total } }', None, "validation_error"),
        ("full", '{ eventCounts(to: "2025-03-05", event: "Not An Event") { total } }', None, "validation_error"),
        ("full", "{ signups(first: 201) { nodes { id } } }", None, "validation_error"),
    ],
)
async def test_an_error_is_left_to_graphql_core_and_answered_as_it_answers(
    app, client, seeded, token, query, variables, code
):
    ids = {
        "own": str(seeded.customer_ids[0]),
        "foreign": str(seeded.foreign_customer_id),
        "garbage": "abc",
        "order": str(seeded.order_ids[0]),
        "foreign_order": str(seeded.foreign_order_id),
        "foreign_product": str(seeded.foreign_product_id),
        "foreign_subscription": str(seeded.store_rows.foreign_subscription_id),
    }
    body = {"query": query, "variables": {"id": ids[variables]} if variables else None}
    key = seeded.token if token == "full" else seeded.orders_only_token
    counts = compiled_of(app).counts
    fell_back = counts.fell_back

    compiled = await both_ways(app, client, "POST", "/graphql", json=body, headers=headers_of(key))

    assert f'"code":"{code}"'.encode() in compiled
    assert counts.fell_back == fell_back + 1


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { queryType { name } } }",
        '{ apiKeys(first: 2) { nodes { id } } store { id } __type(name: "ApiKey") { name } }',
        "{ orders(first: 2) { nodes { items { quantity } again: items { sku } } } }",
        "{ customers(first: 2) { nodes { id } } viewer { keyId } __schema { queryType { name } } }",
    ],
    ids=["introspection", "introspection-beside-store-reads", "relation-twice", "mixed"],
)
async def test_what_the_compiler_does_not_cover_runs_the_standard_way(app, client, seeded, query):
    counts = compiled_of(app).counts
    before = dataclasses.replace(counts)

    await both_ways(app, client, "POST", "/graphql", json={"query": query}, headers=headers_of(seeded.token))

    assert counts.not_covered == before.not_covered + 1
    assert counts.compiled == before.compiled


async def test_a_fallback_runs_again_in_the_same_request_transaction(app, client, seeded, monkeypatch):
    """The plan reads the customers, then meets a cursor it leaves to graphql-core: both ran on one connection
    (the session's, the autocommit read connection or the driver's)."""
    sessions: list[int] = []
    execute, rows = RequestDatabase.execute, RequestDatabase.rows

    def used(database: RequestDatabase) -> int:
        return id(database._direct_connection or database._connection or database._session)

    async def recorded_execute(database: RequestDatabase, statement: Any, parameters: Any = None) -> Any:
        result = await execute(database, statement, parameters)
        sessions.append(used(database))
        return result

    async def recorded_rows(database: RequestDatabase, prepared: Any, parameters: Any) -> Any:
        result = await rows(database, prepared, parameters)
        sessions.append(used(database))
        return result

    monkeypatch.setattr(RequestDatabase, "execute", recorded_execute)
    monkeypatch.setattr(RequestDatabase, "rows", recorded_rows)
    query = '{ customers(first: 2) { nodes { id orders(after: "x") { nodes { id } } } } }'
    counts = compiled_of(app).counts
    fell_back = counts.fell_back

    response = await client.post("/graphql", json={"query": query}, headers=headers_of(seeded.token))

    assert counts.fell_back == fell_back + 1
    assert response.json()["errors"][0]["extensions"]["code"] == "invalid_cursor"
    assert len(sessions) >= 2  # the plan's customers, graphql-core's customers
    assert len(set(sessions)) == 1


async def test_a_fallback_gives_the_errors_of_several_fields_in_graphql_cores_order(app, client, seeded):
    """The plan loads the missing customer before giving up; graphql-core must not find it cached, which would
    finish that field first and put its error before the cursor's."""
    query = (
        "query Two($id: ID!, $after: String) { customer(id: $id) { id } "
        "customers(first: 2, after: $after) { nodes { id } } }"
    )
    body = {"query": query, "variables": {"id": "999999999", "after": "forged"}}

    compiled = await both_ways(app, client, "POST", "/graphql", json=body, headers=headers_of(seeded.token))

    assert compiled.index(b"invalid_cursor") < compiled.index(b"not_found")


def drop_a_field(plan: Plan) -> Plan:
    """The plan with the last field of the innermost object it builds left out: a compiler bug."""

    def without(shape: Shape) -> Shape:
        children = [step for step in shape.steps if _inner(step) is not None]
        if not children:
            return shape_of(shape.type_name, list(shape.steps[:-1]))
        steps: list[Step] = []
        for step in shape.steps:
            inner = _inner(step)
            if inner is None or step is not children[-1] or not isinstance(step, Child | Resolved):
                steps.append(step)
                continue
            steps.append(dataclasses.replace(step, completion=_replaced(step.completion, without(inner))))
        return shape_of(shape.type_name, steps)

    return Plan(without(plan.root), plan.scopes)


def _inner(step: Step) -> Shape | None:
    completion = step.completion if isinstance(step, Child | Resolved) else None
    while completion is not None and completion.item is not None:
        completion = completion.item
    return completion.shape if completion is not None else None


def _replaced(completion: Any, shape: Shape) -> Any:
    if completion.item is not None:
        return dataclasses.replace(completion, item=_replaced(completion.item, shape))
    return dataclasses.replace(completion, shape=shape)


@pytest.mark.parametrize(
    ("query", "dropped"),
    [(W2, b'"createdAt"'), (ORDER, b'"totalCount"'), (CATALOG, b'"name"')],
    ids=["customers", "order", "catalog"],
)
async def test_a_plan_that_drops_a_field_is_caught_by_the_differential_comparison(
    app, client, seeded, monkeypatch, query, dropped
):
    def broken(*args: Any) -> Plan | None:
        plan = compile_operation(*args)
        return None if plan is None else drop_a_field(plan)

    monkeypatch.setattr(compiled_run, "compile_operation", broken)
    compiled_of(app)._plans = type(compiled_of(app)._plans)(1 << 20)  # plans compiled before are not broken
    variables = {"id": str(seeded.order_ids[0] if "order(" in query else seeded.product_ids[0])}
    body = {"query": query.replace("query ", "query Broken", 1), "variables": variables if "$id" in query else None}
    headers = headers_of(seeded.token)

    compiled = answer(await client.post("/graphql", json=body, headers=headers))
    with standard_only(app):
        standard = answer(await client.post("/graphql", json=body, headers=headers))

    assert compiled != standard
    assert dropped in standard
    assert dropped not in compiled


def compiled(text: str) -> Plan | None:
    schema = build_schema()
    assert schema.compiled is not None
    tables = schema.compiled.tables
    variables = get_variable_values(schema._schema, (), {})
    assert not isinstance(variables, list)
    return compile_operation(tables, parse(text), None, variables)


@pytest.mark.parametrize(
    "text",
    [
        'mutation { banCustomer(id: "1", reason: "x") { userErrors { code } } }',
        "{ customers { nodes { id @deprecated } } }",
        "{ customer(id: 1) { orders { nodes { id } } } viewer { keyId } __schema { queryType { name } } }",
        '{ __type(name: "Customer") { name } }',
        '{ a: customer(id: "1") { id } b: customer(id: "2") { id } }',
        "{ customers { nodes { orders { nodes { id } } again: orders(first: 2) { nodes { id } } } } }",
    ],
    ids=[
        "mutation",
        "other-directive",
        "introspection-beside-roots",
        "introspection",
        "loader-twice",
        "relation-twice",
    ],
)
def test_the_compiler_leaves_what_it_does_not_cover(text):
    assert compiled(text) is None


def test_a_list_selected_twice_is_compiled_each_its_own_statement_as_in_graphql_core():
    assert compiled("{ a: customers(first: 2) { nodes { id } } b: customers(first: 3) { totalCount } }") is not None


def test_a_plan_builds_its_objects_by_response_key_in_document_order():
    plan = compiled("{ customers { nodes { b: lastName a: firstName ... on Customer { id } } } }")

    assert plan is not None
    connection = plan.root.steps[0]
    assert isinstance(connection, Resolved)
    node = _inner(connection)
    assert node is not None
    nodes = _inner(node.steps[0])
    assert nodes is not None
    assert [step.key for step in nodes.steps] == ["b", "a", "id"]
    assert plan.scopes == frozenset({"customers:read"})


def test_every_batched_load_names_a_field_of_the_schema():
    """A misspelt key in a domain's reads.py would leave its field to graphql-core without a word."""
    schema = build_schema()
    assert schema.compiled is not None
    for name in schema.compiled.tables.batched:
        type_name, field_name = name.split(".")
        gql_type = schema._schema.get_type(type_name)
        assert isinstance(gql_type, GraphQLObjectType), name
        assert field_name in gql_type.fields, name

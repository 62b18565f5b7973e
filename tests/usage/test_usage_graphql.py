"""Issue 4's usage half, through GraphQL: the label each operation is counted under, and the ``usage`` and
``quotas`` queries end to end through the app (its middleware, the in-process limiter, and Redis)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from graphql import GraphQLSchema, parse
from redis.asyncio import Redis

from schema.core.build import build_schema
from schema.core.usage_label import INVALID_LABEL, operation_label
from storegraph.app import create_app
from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from storegraph.platform.limits.plans import DEFAULT_PLANS
from tests.conftest import GraphQLClient, app_settings, services_of
from tests.support.factories import Key, create_key, create_store
from tests.support.limiter_support import REDIS_URL

TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
VIEWER = "{ viewer { keyId } }"
USAGE_FIELDS = """
  usage {
    requestsThisMinute requestsToday requestsThisMonth
    endpoints { label minute day month }
    rateLimit { limit remaining resetAt windowSeconds }
  }
"""
QUOTAS_FIELDS = """
  quotas {
    plan requestsPerMinute periodEnd
    requestsPerMonth { limit used remaining }
    signupsPerMonth { limit used remaining }
    webhooksPerMonth { limit used remaining }
  }
"""
USAGE = f"query {{ {USAGE_FIELDS} }}"
QUOTAS = f"query {{ {QUOTAS_FIELDS} }}"
USAGE_AND_QUOTAS = f"query {{ {USAGE_FIELDS} {QUOTAS_FIELDS} }}"


@cache
def _schema() -> GraphQLSchema:
    return build_schema()._schema


def label(document: str, operation_name: str | None = None) -> str:
    return operation_label(_schema(), parse(document), operation_name)


# --- the label of an operation ----------------------------------------------------------------------------------


def test_a_query_is_labelled_by_its_sorted_root_fields():
    assert label("{ store { name } customers { totalCount } }") == "graphql query customers,store"


def test_aliases_and_repeated_fields_do_not_change_the_label():
    assert label("{ a: store { name } b: store { slug } customers { totalCount } }") == (
        "graphql query customers,store"
    )


def test_root_fields_reached_through_fragments_are_in_the_label():
    document = "query { ...Mine ... on Query { orders { totalCount } } } fragment Mine on Query { viewer { keyId } }"

    assert label(document) == "graphql query orders,viewer"


def test_the_named_operation_is_the_one_labelled():
    document = "query A { store { name } } mutation B { updateStore(input: {}) { userErrors { code } } }"

    assert label(document, "B") == "graphql mutation updateStore"


def test_the_first_operation_is_labelled_when_there_is_only_one():
    assert label("query Mine { viewer { keyId } }") == "graphql query viewer"


def test_introspection_fields_have_labels_of_their_own():
    assert label("{ __schema { queryType { name } } __typename }") == "graphql query __schema,__typename"


@pytest.mark.parametrize(
    ("document", "operation_name"),
    [
        ("{ store { name } madeUpField }", None),
        ("query A { viewer { keyId } }", "Missing"),
        ("query A { viewer { keyId } } query B { store { name } }", None),
        ("{ ...Missing }", None),
        ("subscription { viewer { keyId } }", None),
    ],
)
def test_an_operation_the_schema_cannot_run_is_labelled_invalid(document, operation_name):
    assert label(document, operation_name) == INVALID_LABEL


# --- requests through the app are counted under their labels ----------------------------------------------------


async def new_key(session, *, plan: str = "free", scopes: tuple[Scope, ...] = ALL_SCOPES) -> Key:
    store = await create_store(session, plan=plan)
    key = await create_key(session, store, scopes=scopes)
    await session.commit()
    return key


async def month_counts(app: FastAPI, key: Key) -> dict[str, int]:
    usage = await services_of(app).rate_limiter.endpoint_usage(key.id)
    return {endpoint: counts["month"] for endpoint, counts in usage.items()}


async def test_graphql_requests_are_counted_under_their_operation_labels(app, gql, session):
    key = await new_key(session)
    for _ in range(2):
        await gql.query("{ store { name } customers { totalCount } }", headers=key.headers)
    await gql.query("query Me { me: viewer { keyId } }", headers=key.headers)

    assert await month_counts(app, key) == {"graphql query customers,store": 2, "graphql query viewer": 1}


async def test_a_query_over_get_is_counted_under_its_label(app, client, session):
    key = await new_key(session)

    await client.get("/graphql", params={"query": VIEWER}, headers=key.headers)

    assert await month_counts(app, key) == {"graphql query viewer": 1}


async def test_requests_that_carry_no_runnable_operation_are_counted_as_graphql_invalid(app, client, gql, session):
    key = await new_key(session)
    await gql.query("{ store { name ", headers=key.headers)
    await gql.query("{ madeUpField }", headers=key.headers)
    await client.post("/graphql", content=b"not json", headers={**key.headers, "content-type": "application/json"})

    assert await month_counts(app, key) == {INVALID_LABEL: 3}


async def test_a_mutation_over_get_is_counted_under_its_label(app, client, session):
    key = await new_key(session)

    response = await client.get(
        "/graphql", params={"query": "mutation { deleteProduct(id: 1) { deletedId } }"}, headers=key.headers
    )

    assert response.status_code == 405
    assert await month_counts(app, key) == {"graphql mutation deleteProduct": 1}


# --- the usage query --------------------------------------------------------------------------------------------


async def test_the_usage_query_reports_the_keys_requests_this_one_included(gql, session):
    key = await new_key(session)
    for _ in range(2):
        await gql.query(VIEWER, headers=key.headers)

    usage = (await gql.query(USAGE, headers=key.headers))["data"]["usage"]

    assert (usage["requestsThisMinute"], usage["requestsToday"], usage["requestsThisMonth"]) == (3, 3, 3)


async def test_the_usage_query_lists_endpoints_most_used_first_then_by_label(gql, session):
    key = await new_key(session)
    for document in (VIEWER, VIEWER, "{ store { name } }", USAGE):
        await gql.query(document, headers=key.headers)

    usage = (await gql.query(USAGE, headers=key.headers))["data"]["usage"]

    assert usage["endpoints"] == [
        {"label": "graphql query viewer", "minute": 2, "day": 2, "month": 2},
        {"label": "graphql query store", "minute": 1, "day": 1, "month": 1},
        {"label": "graphql query usage", "minute": 1, "day": 1, "month": 1},
    ]


async def test_the_usage_query_reports_the_window_as_the_response_headers_do(client, session):
    key = await new_key(session)
    await client.post("/graphql", json={"query": VIEWER}, headers=key.headers)

    response = await client.post("/graphql", json={"query": USAGE}, headers=key.headers)

    window = response.json()["data"]["usage"]["rateLimit"]
    assert window["limit"] == int(response.headers["x-ratelimit-limit"]) == 30
    assert window["remaining"] == int(response.headers["x-ratelimit-remaining"]) == 28
    assert window["windowSeconds"] == 60
    assert window["resetAt"].endswith("Z")


async def test_reading_the_window_takes_no_slot_of_it(client, session):
    key = await new_key(session)
    for _ in range(3):
        await client.post("/graphql", json={"query": USAGE}, headers=key.headers)

    response = await client.post("/graphql", json={"query": VIEWER}, headers=key.headers)

    assert response.headers["x-ratelimit-remaining"] == "26"


async def test_the_usage_query_reports_the_window_of_the_stores_plan(gql, session):
    key = await new_key(session, plan="enterprise")

    window = (await gql.query(USAGE, headers=key.headers))["data"]["usage"]["rateLimit"]

    assert (window["limit"], window["remaining"]) == (6_000, 5_999)


# --- the quotas query -------------------------------------------------------------------------------------------


async def test_the_quotas_query_reports_the_stores_plan_and_requests_of_all_its_keys(gql, session):
    store = await create_store(session, plan="free")
    first, second = await create_key(session, store), await create_key(session, store)
    await session.commit()
    for _ in range(2):
        await gql.query(VIEWER, headers=first.headers)

    quotas = (await gql.query(QUOTAS, headers=second.headers))["data"]["quotas"]

    assert quotas["plan"] == "free"
    assert quotas["requestsPerMinute"] == 30
    assert quotas["requestsPerMonth"] == {"limit": 10_000, "used": 3, "remaining": 9_997}


async def test_the_quotas_query_reports_signups_and_webhooks_taken(app, gql, session):
    key = await new_key(session)
    limiter = services_of(app).rate_limiter
    assert await limiter.consume(key.store_id, "signups", DEFAULT_PLANS["free"], amount=4)

    quotas = (await gql.query(QUOTAS, headers=key.headers))["data"]["quotas"]

    assert quotas["signupsPerMonth"] == {"limit": 100, "used": 4, "remaining": 96}
    assert quotas["webhooksPerMonth"] == {"limit": 1_000, "used": 0, "remaining": 1_000}


async def test_the_quotas_renew_at_the_start_of_next_month(gql, session):
    key = await new_key(session)
    today = datetime.now(UTC)

    quotas = (await gql.query(QUOTAS, headers=key.headers))["data"]["quotas"]

    next_month = datetime(today.year + today.month // 12, today.month % 12 + 1, 1)
    assert quotas["periodEnd"] == next_month.isoformat() + "Z"


async def test_unlimited_quotas_have_no_limit_and_no_remaining(gql, session):
    key = await new_key(session, plan="enterprise")

    quotas = (await gql.query(QUOTAS, headers=key.headers))["data"]["quotas"]

    assert quotas["requestsPerMonth"] == {"limit": None, "used": 1, "remaining": None}
    assert quotas["signupsPerMonth"] == {"limit": None, "used": 0, "remaining": None}


# --- scope and statements ---------------------------------------------------------------------------------------


async def test_usage_and_quotas_without_usage_read_are_insufficient_scope(gql, session):
    key = await new_key(session, scopes=tuple(scope for scope in ALL_SCOPES if scope != Scope.USAGE_READ))

    payload = await gql.query("{ usage { requestsToday } quotas { plan } viewer { keyId } }", headers=key.headers)

    assert payload["data"]["usage"] is None
    assert payload["data"]["quotas"] is None
    assert payload["data"]["viewer"] == {"keyId": key.key_id}
    assert sorted(error["path"] for error in payload["errors"]) == [["quotas"], ["usage"]]
    assert {error["extensions"]["code"] for error in payload["errors"]} == {"insufficient_scope"}
    assert all("usage:read" in error["message"] for error in payload["errors"])


async def test_usage_and_quotas_answer_with_only_usage_read(gql, session):
    key = await new_key(session, scopes=(Scope.USAGE_READ,))

    payload = await gql.query("{ usage { requestsToday } quotas { plan } }", headers=key.headers)

    assert "errors" not in payload
    assert payload["data"] == {"usage": {"requestsToday": 1}, "quotas": {"plan": "free"}}


async def statements_of(gql: GraphQLClient, count_statements: Any, key: Key, document: str) -> list[str]:
    with count_statements() as counter:
        payload = await gql.query(document, headers=key.headers)
    assert "errors" not in payload, payload
    return [statement for statement in counter.statements if not TRANSACTION_CONTROL.match(statement)]


async def test_usage_and_quotas_run_only_the_key_lookup_however_many_endpoints(app, gql, session, count_statements):
    few, many = await new_key(session, plan="enterprise"), await new_key(session, plan="enterprise")
    limiter = services_of(app).rate_limiter
    for number in range(50):
        await limiter.record_endpoint(many.id, f"GET /v1/endpoint-{number}")
    for key in (few, many):
        await gql.query(VIEWER, headers=key.headers)  # the key's last_used_at is fresh from here on

    statements = [await statements_of(gql, count_statements, key, USAGE_AND_QUOTAS) for key in (few, many)]

    assert len(statements[0]) == len(statements[1]) == 1, statements  # the auth middleware's key lookup


async def test_the_usage_query_costs_like_any_plain_object_query(gql, session):
    key = await new_key(session)

    payload = await gql.query(USAGE, headers=key.headers)

    # usage 1 + endpoints 1 + rateLimit 1 (docs/cost.md: plain objects and lists of objects cost 1 each).
    assert payload["extensions"]["cost"]["requestedQueryCost"] == 3


# --- end to end on Redis ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def redis_app(database_url: str) -> AsyncIterator[FastAPI]:
    prefix = f"test:{uuid4().hex}:"
    application = create_app(app_settings(database_url, redis_url=REDIS_URL, redis_prefix=prefix))
    yield application
    services = services_of(application)
    await services.engine.dispose()
    assert services.redis is not None
    await services.redis.aclose()
    cleanup = Redis.from_url(REDIS_URL)
    keys = [key async for key in cleanup.scan_iter(match=f"{prefix}*")]
    if keys:
        await cleanup.delete(*keys)
    await cleanup.aclose()


@pytest.fixture
async def redis_gql(redis_app: FastAPI) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=redis_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        yield GraphQLClient(http)


async def test_usage_and_quotas_through_an_app_on_redis(redis_gql, session):
    store = await create_store(session, plan="free")
    first, second = await create_key(session, store), await create_key(session, store)
    await session.commit()
    for _ in range(2):
        await redis_gql.query(VIEWER, headers=first.headers)

    payload = await redis_gql.query(USAGE_AND_QUOTAS, headers=second.headers)

    assert "errors" not in payload, payload
    usage, quotas = payload["data"]["usage"], payload["data"]["quotas"]
    assert usage["requestsThisMonth"] == 1
    assert usage["rateLimit"]["remaining"] == 29
    assert quotas["requestsPerMonth"] == {"limit": 10_000, "used": 3, "remaining": 9_997}


async def test_graphql_labels_are_counted_in_redis(redis_app, redis_gql, session):
    key = await new_key(session)
    for document in (VIEWER, "{ store { name } customers { totalCount } }", "{ store { name "):
        await redis_gql.query(document, headers=key.headers)

    assert await month_counts(redis_app, key) == {
        "graphql query viewer": 1,
        "graphql query customers,store": 1,
        INVALID_LABEL: 1,
    }

"""``/graphql`` over HTTP as the GraphQL-over-HTTP specification has it (docs/graphql.md#http): the request's
Content-Type, the response's media type from ``Accept``, one test per row of the specification's status table for
both media types, and ``extensions.cost`` on every error answer, the middleware's included."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from db.models import Product
from storegraph.platform.http.internal_error import internal_error_body
from storegraph.platform.http.media import preferred_media_type
from tests.support.factories import Key, create_key, create_store

GRAPHQL_RESPONSE = "application/graphql-response+json"
# What Apollo Client 4 sends.
APOLLO_4 = "application/graphql-response+json, application/json;q=0.9"
VIEWER = {"query": "{ viewer { keyId } }"}
UNEXECUTED_COST = {"cost": {"requestedQueryCost": 0, "actualQueryCost": None, "throttleStatus": None}}

# (Accept, expected Content-Type) for the two media types; each row of the status table runs with both.
MEDIA_TYPES = [
    pytest.param(APOLLO_4, "application/graphql-response+json; charset=utf-8", id="graphql-response+json"),
    pytest.param("application/json", "application/json", id="json"),
]


def statuses(graphql_response: int, json: int) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        ("accept", "content_type", "status"),
        [
            pytest.param(APOLLO_4, "application/graphql-response+json; charset=utf-8", graphql_response, id="gr+json"),
            pytest.param("application/json", "application/json", json, id="json"),
        ],
    )


@pytest.fixture
async def key(session) -> Key:
    key = await create_key(session, await create_store(session))
    await session.commit()
    return key


async def post(
    client: httpx.AsyncClient, key: Key, body: dict[str, Any] | bytes, accept: str | None = None
) -> httpx.Response:
    headers = {**key.headers, "Content-Type": "application/json"}
    if accept is not None:
        headers["Accept"] = accept
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return await client.post("/graphql", content=content, headers=headers)


def assert_answer(response: httpx.Response, status: int, content_type: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == content_type
    payload: dict[str, Any] = response.json()
    return payload


def assert_not_run(payload: dict[str, Any]) -> None:
    assert payload["errors"]
    assert "data" not in payload
    assert payload["extensions"]["cost"]["actualQueryCost"] is None


# ------------------------------------------------------------------------------- the status table, row by row


@statuses(graphql_response=400, json=400)
async def test_a_body_that_is_not_json_is_400(client, key, accept, content_type, status):
    response = await post(client, key, b'{"query":', accept)

    assert_not_run(assert_answer(response, status, content_type))


@statuses(graphql_response=400, json=400)
async def test_json_that_is_not_a_graphql_request_is_400(client, key, accept, content_type, status):
    response = await post(client, key, {"qeury": "{ __typename }"}, accept)

    assert_not_run(assert_answer(response, status, content_type))


@statuses(graphql_response=400, json=200)
async def test_a_document_that_does_not_parse(client, key, accept, content_type, status):
    response = await post(client, key, {"query": "{"}, accept)

    payload = assert_answer(response, status, content_type)
    assert_not_run(payload)
    assert payload["errors"][0]["extensions"]["code"] == "validation_error"


@statuses(graphql_response=400, json=200)
async def test_a_document_that_does_not_validate(client, key, accept, content_type, status):
    response = await post(client, key, {"query": "{ viewer { noSuchField } }"}, accept)

    payload = assert_answer(response, status, content_type)
    assert_not_run(payload)
    assert "noSuchField" in payload["errors"][0]["message"]


@statuses(graphql_response=400, json=200)
async def test_an_operation_that_cannot_be_determined(client, key, accept, content_type, status):
    response = await post(client, key, {"query": "query A { __typename } query B { __typename }"}, accept)

    assert_not_run(assert_answer(response, status, content_type))


@statuses(graphql_response=400, json=200)
async def test_a_variable_its_type_refuses(client, key, accept, content_type, status):
    document = "query Order($id: ID!) { order(id: $id) { id } }"

    response = await post(client, key, {"query": document, "variables": {"id": None}}, accept)

    assert_not_run(assert_answer(response, status, content_type))


@statuses(graphql_response=200, json=200)
async def test_an_operation_that_ran_with_field_errors(client, session, accept, content_type, status):
    unscoped = await create_key(session, await create_store(session), scopes=())
    await session.commit()

    response = await post(client, unscoped, {"query": "{ viewer { keyId } customers { totalCount } }"}, accept)

    payload = assert_answer(response, status, content_type)
    assert payload["data"] == {"viewer": {"keyId": unscoped.key_id}, "customers": None}
    assert payload["errors"][0]["extensions"]["code"] == "insufficient_scope"


# ---------------------------------------------------------------------------------------------- Accept


async def test_no_accept_header_is_answered_as_json(client, key):
    request = client.build_request("POST", "/graphql", json={"query": "{"}, headers=key.headers)
    del request.headers["accept"]

    response = await client.send(request)

    assert_answer(response, 200, "application/json")


async def test_a_wildcard_accept_gets_graphql_response_json(client, key):
    response = await post(client, key, {"query": "{"}, "*/*")

    assert_answer(response, 400, "application/graphql-response+json; charset=utf-8")


async def test_json_named_next_to_a_wildcard_gets_json(client, key):
    response = await post(client, key, {"query": "{"}, "application/json, text/plain, */*")

    assert_answer(response, 200, "application/json")


async def test_an_accept_of_neither_media_type_gets_json(client, key):
    response = await post(client, key, VIEWER, "text/html")

    assert_answer(response, 200, "application/json")


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (APOLLO_4, GRAPHQL_RESPONSE),
        ("application/json;q=0.9, application/graphql-response+json;q=0.5", "application/json"),
        ("application/*", GRAPHQL_RESPONSE),
        ("*/*, application/graphql-response+json;q=0", "application/json"),
        ("Application/GraphQL-Response+JSON", GRAPHQL_RESPONSE),
        ("text/html, nonsense, application/json;q=abc", "application/json"),
    ],
)
def test_the_preferred_media_type_follows_the_qualities_then_the_named_type_then_the_servers_order(accept, chosen):
    scope = {"type": "http", "headers": [(b"accept", accept.encode())]}

    assert preferred_media_type(scope, (GRAPHQL_RESPONSE, "application/json"), "application/json") == chosen


@pytest.mark.parametrize(("accept", "content_type"), MEDIA_TYPES)
async def test_a_successful_operation_is_200_in_either_media_type(client, key, accept, content_type):
    response = await post(client, key, VIEWER, accept)

    assert assert_answer(response, 200, content_type)["data"] == {"viewer": {"keyId": key.key_id}}


async def test_a_mutation_over_get_is_405_allowing_post(client, key):
    response = await client.get("/graphql", params={"query": "mutation { __typename }"}, headers=key.headers)

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_get_takes_a_query_whatever_the_content_type(client, key):
    response = await client.get("/graphql", params=VIEWER, headers={**key.headers, "Content-Type": "text/plain"})

    assert response.json()["data"] == {"viewer": {"keyId": key.key_id}}


# ---------------------------------------------------------------------------------------------- Content-Type

CREATE = 'mutation { createProduct(input: {name: "Forged", price: 100}) { product { id } } }'


async def products_of(sessionmaker, store_id: int) -> int:
    async with sessionmaker() as session:
        query = select(func.count()).select_from(Product).where(Product.store_id == store_id)
        return int(await session.scalar(query))


async def test_a_text_plain_mutation_is_refused_with_415_and_runs_nothing(client, sessionmaker, key):
    body = orjson.dumps({"query": CREATE})

    response = await client.post("/graphql", content=body, headers={**key.headers, "Content-Type": "text/plain"})

    assert response.status_code == 415
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "errors": [
            {
                "message": "POST /graphql takes a JSON body: send it with 'Content-Type: application/json'.",
                "extensions": {"code": "unsupported_media_type"},
            }
        ],
        "extensions": UNEXECUTED_COST,
    }
    assert await products_of(sessionmaker, key.store_id) == 0


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/graphql", None],
)
async def test_a_post_not_declared_as_json_is_refused_with_415(client, key, content_type):
    headers = {**key.headers, **({"Content-Type": content_type} if content_type else {})}

    response = await client.post("/graphql", content=orjson.dumps(VIEWER), headers=headers)

    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", 'Application/JSON; Charset="UTF-8"'])
async def test_json_in_utf8_is_accepted(client, key, content_type):
    headers = {**key.headers, "Content-Type": content_type}

    response = await client.post("/graphql", content=orjson.dumps(VIEWER), headers=headers)

    assert response.status_code == 200


async def test_json_in_another_charset_is_refused_with_415(client, key):
    headers = {**key.headers, "Content-Type": "application/json; charset=latin-1"}

    response = await client.post("/graphql", content=orjson.dumps(VIEWER), headers=headers)

    assert response.status_code == 415


# --------------------------------------------------------------------------------------- REST is unchanged


@pytest.mark.parametrize("accept", [APOLLO_4, "application/json"])
async def test_v1_answers_the_same_whatever_the_accept_header(client, key, accept):
    found = await client.get("/v1/whoami", headers={**key.headers, "Accept": accept})
    refused = await client.get("/v1/whoami?unknown=1", headers={**key.headers, "Accept": accept})

    assert (found.status_code, found.headers["content-type"]) == (200, "application/json")
    assert found.json()["data"]["key_id"] == key.key_id
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "validation_error")


# ---------------------------------------------------------------------------- extensions.cost on every error


async def test_a_401_on_graphql_carries_extensions_cost(client):
    response = await client.post("/graphql", json=VIEWER, headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401
    assert response.json()["extensions"] == UNEXECUTED_COST


async def test_idempotency_key_reused_on_graphql_carries_extensions_cost(client, key):
    headers = {**key.headers, "Idempotency-Key": uuid4().hex}
    # Only a mutation's answer is kept for its key: one that ran (its userError is an answer) holds the key.
    revoke = 'mutation { revokeApiKey(id: "%s") { userErrors { code } } }'
    await client.post("/graphql", json={"query": revoke % 999_999_999}, headers=headers)

    reused = await client.post("/graphql", json={"query": revoke % 999_999_998}, headers=headers)

    assert reused.status_code == 422
    assert reused.json()["errors"][0]["extensions"]["code"] == "idempotency_key_reused"
    assert reused.json()["extensions"] == UNEXECUTED_COST


async def test_rate_limited_on_graphql_carries_extensions_cost(client, session):
    limited = await create_key(session, await create_store(session, plan="free"))
    await session.commit()
    for _ in range(30):
        await client.post("/graphql", json=VIEWER, headers=limited.headers)

    response = await client.post("/graphql", json=VIEWER, headers=limited.headers)

    assert response.status_code == 429
    assert response.json()["extensions"] == UNEXECUTED_COST


async def test_a_body_over_the_limit_on_graphql_carries_extensions_cost(client, key):
    oversized = b'{"query": "' + b" " * 1_100_000 + b'{ viewer { keyId } }"}'

    response = await post(client, key, oversized)

    assert response.status_code == 413
    assert response.json()["extensions"] == UNEXECUTED_COST


def test_an_internal_error_on_graphql_carries_extensions_cost():
    scope = {"type": "http", "path": "/graphql", "state": {"request_id": "req_1"}}

    body = orjson.loads(internal_error_body(scope))

    assert body["errors"][0]["extensions"] == {"code": "internal_error"}
    assert body["extensions"] == UNEXECUTED_COST

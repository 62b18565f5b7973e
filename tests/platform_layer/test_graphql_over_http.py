"""``/graphql`` over HTTP: ``extensions.cost`` on every error answer, the middleware's included."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import orjson
import pytest

from storegraph.platform.http.internal_error import internal_error_body
from tests.support.factories import Key, create_key, create_store

VIEWER = {"query": "{ viewer { keyId } }"}
UNEXECUTED_COST = {"cost": {"requestedQueryCost": 0, "actualQueryCost": None, "throttleStatus": None}}


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


# ---------------------------------------------------------------------------- extensions.cost on every error


async def test_a_401_on_graphql_carries_extensions_cost(client):
    response = await client.post("/graphql", json=VIEWER, headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401
    assert response.json()["extensions"] == UNEXECUTED_COST


async def test_idempotency_key_reused_on_graphql_carries_extensions_cost(client, key):
    headers = {**key.headers, "Idempotency-Key": uuid4().hex}
    await client.post("/graphql", json=VIEWER, headers=headers)

    reused = await client.post("/graphql", json={"query": "{ viewer { scopes } }"}, headers=headers)

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

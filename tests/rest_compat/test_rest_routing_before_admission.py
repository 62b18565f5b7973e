"""A wrong method or an unknown path takes no part in idempotency: admission took every method but GET as a
write that needs an ``Idempotency-Key``, so ``PUT /v1/whoami`` was 400
``idempotency_key_required`` (or 422 with a key already used) instead of 405 with ``Allow``."""

from __future__ import annotations

import httpx
import pytest

from tests.support.factories import Key, create_key, create_store

VALID_PRODUCT = {"name": "Routed", "price": 1500}


@pytest.fixture
async def key(session) -> Key:
    store = await create_store(session)
    created = await create_key(session, store)
    await session.commit()
    return created


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
async def test_a_wrong_method_without_an_idempotency_key_is_405_with_allow(client, key, method):
    response = await client.request(method, "/v1/whoami", headers=key.headers)

    assert response.status_code == 405, response.text
    assert error_code(response) == "method_not_allowed"
    assert response.headers["allow"] == "GET"


async def test_a_wrong_method_with_an_idempotency_key_already_used_is_405(client, key):
    used = {**key.headers, "Idempotency-Key": "routed-1"}
    created = await client.post("/v1/products", json=VALID_PRODUCT, headers=used)
    assert created.status_code == 201, created.text

    response = await client.put("/v1/whoami", json=VALID_PRODUCT, headers=used)

    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "GET"


async def test_a_wrong_method_does_not_hold_the_idempotency_key_it_was_sent_with(client, key):
    headers = {**key.headers, "Idempotency-Key": "routed-2"}
    refused = await client.put("/v1/products", json=VALID_PRODUCT, headers=headers)
    assert refused.status_code == 405

    created = await client.post("/v1/products", json=VALID_PRODUCT, headers=headers)

    assert created.status_code == 201, created.text
    assert "idempotent-replayed" not in created.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_an_unknown_path_written_to_without_an_idempotency_key_is_404(client, key, method):
    response = await client.request(method, "/v1/nothing-here", headers=key.headers)

    assert response.status_code == 404, response.text
    assert error_code(response) == "not_found"


async def test_a_wrong_method_without_a_key_is_still_401(client):
    response = await client.put("/v1/whoami")

    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_a_method_graphql_does_not_take_is_405_in_graphqls_shape_with_allow(client, key):
    response = await client.put("/graphql", headers=key.headers, json={"query": "{ whoami { scopes } }"})

    assert response.status_code == 405, response.text
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}
    assert response.json()["errors"][0]["extensions"]["code"] == "method_not_allowed"


async def test_a_wrong_method_is_rate_limited_and_carries_the_rate_limit_headers(client, key):
    response = await client.put("/v1/whoami", headers=key.headers)

    assert response.status_code == 405
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(response.headers)

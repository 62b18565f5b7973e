from __future__ import annotations

import re

import pytest

from tests.support.factories import create_key, create_store

VIEWER = {"query": "{ viewer { keyId } }"}


async def test_every_response_carries_a_generated_request_id(client):
    response = await client.get("/healthz")

    assert re.fullmatch(r"req_[0-9a-f]{24}", response.headers["x-request-id"])


async def test_two_requests_get_different_ids(client):
    first = await client.get("/healthz")
    second = await client.get("/healthz")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_sane_inbound_request_id_is_kept(client):
    response = await client.get("/healthz", headers={"X-Request-Id": "trace-42.abc:1"})

    assert response.headers["x-request-id"] == "trace-42.abc:1"


@pytest.mark.parametrize("inbound", ["has space", "x" * 129, "<script>", "é"])
async def test_an_unsafe_inbound_request_id_is_replaced(client, inbound):
    response = await client.get("/healthz", headers={"X-Request-Id": inbound.encode("utf-8")})

    assert response.headers["x-request-id"].startswith("req_")


async def test_an_error_response_carries_the_request_id_too(client):
    response = await client.post("/graphql", json=VIEWER)

    assert response.status_code == 401
    assert response.headers["x-request-id"].startswith("req_")


async def test_a_masked_internal_error_quotes_the_request_id():
    from graphql import GraphQLError

    from schema.core.build import format_error

    error = GraphQLError("boom", original_error=RuntimeError("secret detail 0555000000"))

    formatted = format_error(error, "req_abc")

    assert formatted["message"] == "Internal server error (request req_abc)"
    assert formatted["extensions"] == {"code": "internal_error"}
    assert "0555000000" not in str(formatted)


async def test_a_body_over_the_limit_is_refused_with_413(client, session):
    key = await create_key(session, await create_store(session))
    await session.commit()
    oversized = b'{"query": "' + b" " * 1_100_000 + b'{ viewer { keyId } }"}'

    response = await client.post(
        "/graphql", content=oversized, headers={**key.headers, "content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "payload_too_large"


async def test_a_chunked_body_over_the_limit_is_refused_without_content_length(client, session):
    key = await create_key(session, await create_store(session))
    await session.commit()

    async def chunks():
        for _ in range(20):
            yield b" " * 100_000

    response = await client.post("/graphql", content=chunks(), headers=key.headers)

    assert response.status_code == 413


async def test_a_body_within_the_limit_reaches_the_handler(client, session):
    key = await create_key(session, await create_store(session))
    await session.commit()

    response = await client.post("/graphql", json=VIEWER, headers=key.headers)

    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["keyId"] == key.key_id

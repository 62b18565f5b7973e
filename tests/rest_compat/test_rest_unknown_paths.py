"""Every path answers in the envelope: one no route serves, in any case or with doubled slashes, is 404
``not_found``, and a method a route does not take is 405 ``method_not_allowed``; the routes outside /v1 keep
answering as they do."""

from __future__ import annotations

import httpx
import pytest

from tests.support.factories import Key, create_key, create_store


@pytest.fixture
async def key(session) -> Key:
    store = await create_store(session)
    created = await create_key(session, store)
    await session.commit()
    return created


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "meta"}, body
    assert body["meta"] == {"request_id": response.headers["x-request-id"], "api_version": "v1"}
    assert body["error"]["code"] == code
    error: dict[str, str] = body["error"]
    return error


UNSERVED = [
    "//v1/products",
    "/V1/products",
    "/v1/PRODUCTS",
    "/v1/products/",
    "/v1",
    "/v1foo",
    "/",
    "/api/v1/products",
    "/favicon.ico",
    "/graphql/",
    "/GRAPHQL",
    "/healthz/deep",
    "/docs/",
    "/%0A",
]


@pytest.mark.parametrize("path", UNSERVED)
async def test_a_path_no_route_serves_is_a_404_envelope(client, key, path):
    response = await client.get(path, headers=key.headers)

    error = error_of(response, 404, "not_found")
    assert "No endpoint GET" in error["message"]


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PUT"])
async def test_an_unserved_path_is_a_404_envelope_whatever_the_method(client, key, method):
    response = await client.request(method, "//v1/products", headers=key.headers, json={"name": "x"})

    error_of(response, 404, "not_found")


@pytest.mark.parametrize("path", ["/V1/products", "//v1/products", "/nothing"])
async def test_an_unserved_path_outside_v1_needs_no_key_to_get_its_404_envelope(client, path):
    response = await client.get(path)

    error_of(response, 404, "not_found")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs"])
async def test_a_method_a_route_outside_v1_does_not_take_is_a_405_envelope_with_allow(client, path):
    response = await client.post(path)

    error = error_of(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]
    assert "POST" in error["message"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/healthz", "application/json"),
        ("/readyz", "application/json"),
        ("/openapi.json", "application/json"),
        ("/docs", "text/html"),
        ("/graphql", "text/html"),
    ],
)
async def test_the_routes_outside_v1_answer_as_before(client, path, content_type):
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)

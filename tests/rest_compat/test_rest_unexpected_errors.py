"""An unexpected error, wherever it happens, answers the JSON 500 with the request id, and a write that answers it
commits nothing: the request's transaction ends only once its answer is ready."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from db.models import Product, Store
from storegraph.platform.http.internal_error import InternalErrorMiddleware
from storegraph.platform.http.request_id import RequestIdMiddleware
from tests.support.factories import Key, create_key, create_store
from tests.support.mutation_helpers import count_rows, snapshot

# An integer no response can dump (orjson holds 64 bits): what a row written before input was checked may hold.
UNDUMPABLE = 10**30
UPDATE_STORE = "mutation($input: UpdateStoreInput!) { updateStore(input: $input) { store { name settings } } }"


@pytest.fixture
async def shop(session) -> tuple[Store, Key]:
    store = await create_store(session, name="Boutique Alger")
    key = await create_key(session, store)
    await session.commit()
    return store, key


@pytest.fixture
async def undumpable_shop(session, shop) -> tuple[Store, Key]:
    store, key = shop
    store.settings = {"legacy": UNDUMPABLE}
    await session.commit()
    return store, key


def writing(key: Key, idempotency_key: str) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": idempotency_key}


def assert_internal_error_envelope(response: httpx.Response) -> None:
    assert response.status_code == 500, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "meta"}
    assert body["error"]["code"] == "internal_error"
    request_id = response.headers["x-request-id"]
    assert body["meta"]["request_id"] == request_id
    assert request_id in body["error"]["message"]


async def test_a_rest_write_whose_answer_cannot_be_written_is_a_500_envelope_and_commits_nothing(
    client, sessionmaker, undumpable_shop
):
    store, key = undumpable_shop
    before = await snapshot(sessionmaker, Store, store.id)

    response = await client.patch("/v1/store", json={"name": "Renamed"}, headers=writing(key, "undumpable-1"))

    assert_internal_error_envelope(response)
    assert await snapshot(sessionmaker, Store, store.id) == before


async def test_a_forced_error_after_a_rest_write_is_a_500_envelope_and_commits_nothing(
    client, sessionmaker, shop, monkeypatch
):
    store, key = shop

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the conversion failed after the work was done")

    monkeypatch.setattr("rest_compat.handler.rest_data", broken)
    response = await client.post(
        "/v1/products", json={"name": "Robe kabyle", "price": 8500}, headers=writing(key, "forced-1")
    )

    assert_internal_error_envelope(response)
    assert await count_rows(sessionmaker, Product, store.id) == 0


async def test_a_rest_read_of_a_value_the_envelope_cannot_hold_is_a_500_envelope(client, undumpable_shop):
    _store, key = undumpable_shop

    response = await client.get("/v1/store", headers=key.headers)

    assert_internal_error_envelope(response)


async def test_a_graphql_mutation_whose_response_cannot_be_written_commits_nothing(gql, sessionmaker, undumpable_shop):
    store, key = undumpable_shop
    before = await snapshot(sessionmaker, Store, store.id)

    payload = await gql.query(UPDATE_STORE, {"input": {"name": "Renamed"}}, headers=key.headers)

    assert payload["_status"] == 500
    assert payload["errors"][0]["extensions"]["code"] == "internal_error"
    assert await snapshot(sessionmaker, Store, store.id) == before


# --- the last answer ----------------------------------------------------------------------------------------------


class Failing:
    """An app that raises, before or after it started its answer."""

    def __init__(self, *, after_start: bool = False) -> None:
        self.after_start = after_start

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if self.after_start:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("nothing below caught this")


def stack(app: Failing) -> httpx.AsyncClient:
    """The outermost middleware of storegraph/app.py around ``app``."""
    asgi = RequestIdMiddleware(InternalErrorMiddleware(app))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://storegraph.test")


@pytest.mark.parametrize("path", ["/v1/products", "/V1/products", "/healthz", "/anything"])
async def test_an_exception_nothing_caught_is_the_500_envelope_with_the_request_id(path, caplog):
    async with stack(Failing()) as http:
        response = await http.get(path)

    assert_internal_error_envelope(response)
    assert "nothing below caught this" in caplog.text


async def test_an_exception_nothing_caught_on_graphql_is_a_graphql_500():
    async with stack(Failing()) as http:
        response = await http.post("/graphql", json={"query": "{ whoami { keyId } }"})

    assert response.status_code == 500
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "internal_error"
    assert response.headers["x-request-id"] in body["errors"][0]["message"]


async def test_an_exception_after_the_answer_started_is_left_to_the_server():
    async with stack(Failing(after_start=True)) as http:
        with pytest.raises(RuntimeError, match="nothing below caught this"):
            await http.get("/v1/products")

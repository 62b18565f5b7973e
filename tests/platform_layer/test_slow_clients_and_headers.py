"""Slow clients and big headers: authentication decides from the headers before any body is read, a body that does
not arrive within its deadline is refused with 408, and too many (or too large) headers with 431. Bounded in time by
a short deadline set in the app's settings and a generous guard; nothing depends on how fast the machine is."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storegraph.app import create_app
from tests.conftest import app_settings, services_of
from tests.support.factories import Key, create_key, create_store
from tests.support.tracking_support import PublicKey, create_public_key, seed_signature

# The deadline of the app under test: short, so that a stalled body is refused at once.
BODY_DEADLINE = 0.2
# A guard against a hang, far above anything the tests take.
GUARD = 30
VIEWER = {"query": "{ viewer { keyId } }"}
SIGNUP = b'{"email": "amina@example.dz"}'


class StalledBody:
    """A request body that sends ``first`` and then nothing more, and remembers whether anyone asked for it."""

    def __init__(self, first: bytes = b'{"query": ') -> None:
        self.first = first
        self.read = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        yield self.first
        await asyncio.Event().wait()  # the rest never comes


@pytest.fixture(scope="module")
async def slow_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(app_settings(database_url, body_timeout_seconds=BODY_DEADLINE))
    yield application
    await services_of(application).engine.dispose()


@pytest.fixture
async def slow_client(slow_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=slow_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        yield http


@pytest.fixture
async def key(session) -> Key:
    created = await create_key(session, await create_store(session))
    await session.commit()
    return created


@pytest.fixture
async def public_key(session) -> PublicKey:
    created = await create_public_key(session, await create_store(session))
    await session.commit()
    return created


def signed(key: PublicKey | None, body: bytes) -> dict[str, str]:
    """Signed headers for ``body``; without a key, well-formed ones for a key that does not exist."""
    stamp = str(int(time.time()))
    if key is None:
        return {"X-DZ-Key": "dzpub_live_00000000deadbeef", "X-DZ-Timestamp": stamp, "X-DZ-Signature": "0" * 64}
    return {
        "X-DZ-Key": key.token,
        "X-DZ-Timestamp": stamp,
        "X-DZ-Signature": seed_signature(key.signing_secret, stamp, body),
    }


async def send(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with asyncio.timeout(GUARD):
        return await client.request(method, path, **kwargs)


# --- a body is read only once the headers authenticated the request -----------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/graphql", {}),
        ("/graphql", {"Authorization": "Bearer dzpk_live_0000000000000000.unknown"}),
        ("/v1/products", {"Idempotency-Key": "k1"}),
        ("/v1/products", {"Authorization": "Bearer dzpk_live_0000000000000000.unknown", "Idempotency-Key": "k1"}),
    ],
)
async def test_a_request_without_a_valid_key_is_refused_before_a_byte_of_its_body_is_read(slow_client, path, headers):
    body = StalledBody()

    response = await send(slow_client, "POST", path, content=body, headers=headers)

    assert response.status_code == 401
    assert not body.read


async def test_a_signed_request_with_an_unknown_key_is_refused_before_a_byte_of_its_body_is_read(slow_client):
    body = StalledBody(SIGNUP)

    response = await send(slow_client, "POST", "/v1/signups", content=body, headers=signed(None, SIGNUP))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert not body.read


# --- a body that does not arrive in time -------------------------------------------------------------------------


async def test_an_authenticated_body_that_stalls_is_refused_with_408_and_the_connection_closed(slow_client, key):
    body = StalledBody()

    response = await send(slow_client, "POST", "/graphql", content=body, headers=key.headers)

    assert body.read
    assert response.status_code == 408
    assert response.json()["errors"][0]["extensions"]["code"] == "request_timeout"
    assert response.headers["connection"] == "close"


async def test_a_rest_write_whose_body_stalls_is_refused_with_408_in_the_envelope(slow_client, key):
    headers = {**key.headers, "Idempotency-Key": "slow-1"}

    response = await send(
        slow_client, "POST", "/v1/products", content=StalledBody(b'{"name": "Cotton'), headers=headers
    )

    assert response.status_code == 408
    assert response.json()["error"]["code"] == "request_timeout"
    assert response.json()["meta"]["request_id"] == response.headers["x-request-id"]


async def test_a_signed_request_whose_body_stalls_is_refused_with_408(slow_client, public_key):
    body = StalledBody(SIGNUP[:10])

    response = await send(slow_client, "POST", "/v1/signups", content=body, headers=signed(public_key, SIGNUP))

    assert body.read
    assert response.status_code == 408
    assert response.json()["error"]["code"] == "request_timeout"


async def test_a_body_that_arrives_in_time_is_served_by_the_same_app(slow_client, key):
    response = await send(slow_client, "POST", "/graphql", json=VIEWER, headers=key.headers)

    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["keyId"] == key.key_id


# --- the size limit holds wherever the body is read --------------------------------------------------------------


async def test_a_signed_request_over_the_body_limit_is_refused_with_413(client, public_key):
    oversized = b'{"email": "amina@example.dz", "name": "' + b"a" * 1_100_000 + b'"}'

    response = await send(client, "POST", "/v1/signups", content=oversized, headers=signed(public_key, oversized))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_a_get_carrying_a_body_over_the_limit_is_refused_with_413(client, key):
    response = await send(client, "GET", "/v1/products", content=b" " * 1_100_000, headers=key.headers)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


# --- headers -----------------------------------------------------------------------------------------------------


async def test_more_headers_than_the_limit_are_refused_with_431_before_authentication(client):
    headers = [(f"X-Extra-{number}", "1") for number in range(101)]

    response = await send(client, "POST", "/graphql", json=VIEWER, headers=headers)

    assert response.status_code == 431
    assert response.json()["errors"][0]["extensions"]["code"] == "request_header_fields_too_large"
    assert response.headers["connection"] == "close"


async def test_headers_larger_than_the_limit_in_all_are_refused_with_431_in_the_envelope(client, key):
    headers = {**key.headers, "X-Big": "a" * 33_000}

    response = await send(client, "GET", "/v1/whoami", headers=headers)

    assert response.status_code == 431
    assert response.json()["error"]["code"] == "request_header_fields_too_large"
    assert response.json()["meta"]["request_id"] == response.headers["x-request-id"]


async def test_headers_within_both_limits_reach_the_app(client, key):
    # httpx adds its own handful (host, accept, user-agent, ...) to these.
    headers = [*key.headers.items(), *((f"X-Extra-{number}", "v" * 300) for number in range(85))]

    response = await send(client, "GET", "/v1/whoami", headers=headers)

    assert response.status_code == 200

"""Numbers in a store's free-form JSON (settings, metadata): what the database cannot give back exactly is refused
at input, through REST and GraphQL alike, and nothing is stored.

PostgreSQL keeps a JSON number as ``numeric`` and writes it back without an exponent: a stored ``1e308`` would come
back as a 309-digit integer that no response can dump, so every later read of the store would fail.
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from db.models import Store
from storegraph.platform.validation import MAX_JSON_INT, MIN_JSON_INT
from tests.support.factories import Key, create_key, create_store
from tests.support.mutation_helpers import snapshot, user_errors

UPDATE_STORE = """
mutation($input: UpdateStoreInput!) { updateStore(input: $input) { store { settings } userErrors { field code } } }
"""


@pytest.fixture
async def shop(session) -> tuple[Store, Key]:
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return store, key


def writing(key: Key) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}


async def patch_store(client: httpx.AsyncClient, key: Key, raw_body: str) -> httpx.Response:
    """PATCH /v1/store with the body exactly as written (JSON numbers as the client typed them)."""
    return await client.patch("/v1/store", content=raw_body.encode(), headers=writing(key))


def details_of(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    return [(detail["field"], detail["code"]) for detail in body["error"]["details"]]


@pytest.mark.parametrize(
    ("raw", "field", "code"),
    [
        ('{"settings": {"x": 1e308}}', "settings.x", "out_of_range"),
        ('{"settings": {"x": -1.5e300}}', "settings.x", "out_of_range"),
        ('{"settings": {"x": 9.3e18}}', "settings.x", "out_of_range"),
        ('{"settings": {"x": 18446744073709551616}}', "settings.x", "out_of_range"),
        ('{"settings": {"x": [1, {"y": 1e20}]}}', "settings.x[1].y", "out_of_range"),
        ('{"metadata": {"x": 1e308}}', "metadata.x", "out_of_range"),
        ('{"settings": {"x": 1e400}}', "settings.x", "invalid"),
        ('{"settings": {"x": NaN}}', "settings.x", "invalid"),
        ('{"metadata": {"x": -Infinity}}', "metadata.x", "invalid"),
    ],
    ids=[
        "1e308",
        "negative_1e300",
        "above_2_63",
        "int_above_64_bits",
        "nested_in_a_list",
        "metadata",
        "overflows_to_infinity",
        "nan",
        "minus_infinity",
    ],
)
async def test_a_number_the_database_cannot_give_back_is_422_and_nothing_is_stored(
    client, sessionmaker, shop, raw, field, code
):
    store, key = shop
    before = await snapshot(sessionmaker, Store, store.id)

    response = await patch_store(client, key, raw)

    assert details_of(response) == [(field, code)]
    assert await snapshot(sessionmaker, Store, store.id) == before
    assert (await client.get("/v1/store", headers=key.headers)).status_code == 200


async def test_a_store_that_was_refused_a_number_still_reads_and_keeps_its_settings(client, shop):
    _store, key = shop
    assert (await patch_store(client, key, '{"settings": {"locale": "fr"}}')).status_code == 200

    await patch_store(client, key, '{"settings": {"locale": "ar", "x": 1e308}}')

    read = await client.get("/v1/store", headers=key.headers)
    assert read.status_code == 200
    assert read.json()["data"]["settings"] == {"locale": "fr"}


async def test_numbers_within_the_64_bit_range_are_stored_and_read_back(client, shop):
    _store, key = shop
    raw = (
        '{"settings": {"big": 9.2e18, "half": 1.5, "tiny": 1e-300, '
        '"max": 9223372036854775807, "min": -9223372036854775808}}'
    )

    written = await patch_store(client, key, raw)

    assert written.status_code == 200, written.text
    settings_read = (await client.get("/v1/store", headers=key.headers)).json()["data"]["settings"]
    assert settings_read == {"big": 9.2e18, "half": 1.5, "tiny": 1e-300, "max": MAX_JSON_INT, "min": MIN_JSON_INT}


@pytest.mark.parametrize(
    ("value", "code"), [(1e308, "out_of_range"), (2.0**64, "out_of_range"), (2**64, "out_of_range")], ids=repr
)
async def test_graphql_settings_with_such_a_number_are_a_user_error_and_nothing_is_stored(
    gql, sessionmaker, shop, value, code
):
    store, key = shop
    before = await snapshot(sessionmaker, Store, store.id)

    payload = await gql.query(UPDATE_STORE, {"input": {"settings": {"x": value}}}, headers=key.headers)

    assert user_errors(payload, "updateStore") == [("settings.x", code)]
    assert await snapshot(sessionmaker, Store, store.id) == before


# --- any JSON number ----------------------------------------------------------------------------------------------

JSON_NUMBERS = st.one_of(
    st.integers().map(str),
    st.integers(min_value=-(2**65), max_value=2**65).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"-?[1-9][0-9]{0,3}(\.[0-9]{1,4})?[eE][+-]?[0-9]{1,3}", fullmatch=True),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "9223372036854775807", "9223372036854775808", "-0.0"]),
)


def same_number(sent: float, read: Any) -> bool:
    """What a read gives back is the number sent (PostgreSQL gives ``1e18`` back as the integer)."""
    if isinstance(read, bool) or not isinstance(read, int | float):
        return False
    return read == sent if isinstance(sent, int) else float(read) == sent


def check_any_number(send: Callable[[str, str, str | None], httpx.Response], key: Key) -> None:
    stored: dict[str, Any] = {}

    @settings(
        max_examples=80,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(number=JSON_NUMBERS)
    def check(number: str) -> None:
        written = send("PATCH", "/v1/store", '{"settings": {"n": ' + number + "}}")
        assert written.status_code in (200, 422), written.text
        read = send("GET", "/v1/store", None)
        assert read.status_code == 200, read.text
        if written.status_code == 200:
            sent = json.loads(number)  # as Python reads it: 1e400 is infinity
            assert math.isfinite(sent)
            assert MIN_JSON_INT <= sent <= MAX_JSON_INT
            stored["n"] = sent
        else:
            [detail] = written.json()["error"]["details"]
            assert (detail["field"], detail["code"]) in {("settings.n", "out_of_range"), ("settings.n", "invalid")}
        settings_read = read.json()["data"]["settings"]
        if "n" in stored:
            assert same_number(stored["n"], settings_read["n"]), (number, settings_read)

    check()


async def test_any_json_number_in_settings_is_stored_exactly_or_refused_and_the_store_stays_readable(app, shop):
    _store, key = shop
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://storegraph.test") as http:

        async def request(method: str, path: str, body: str | None) -> httpx.Response:
            headers = writing(key) if method != "GET" else key.headers
            return await http.request(method, path, content=body.encode() if body else None, headers=headers)

        def send(method: str, path: str, body: str | None) -> httpx.Response:
            return asyncio.run_coroutine_threadsafe(request(method, path, body), loop).result(timeout=30)

        # Hypothesis runs synchronously, in a thread; the requests run on the app's loop.
        await asyncio.to_thread(check_any_number, send, key)

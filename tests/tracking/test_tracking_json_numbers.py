"""Numbers in a tracked signup's metadata or an event's properties: what the database cannot give back exactly is
refused before the job is queued (a 1e308 would come back from PostgreSQL as a 309-digit integer and fail every
read of the stored signup)."""

from __future__ import annotations

import pytest

from tests.support.factories import create_store
from tests.support.tracking_support import PublicKey, create_public_key, jobs_of_store, post_signed


@pytest.fixture
async def key(session) -> PublicKey:
    store = await create_store(session)
    public = await create_public_key(session, store)
    await session.commit()
    return public


def details_of(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    return [(detail["field"], detail["code"]) for detail in body["error"]["details"]]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"email": "a@example.dz", "metadata": {"x": 1e308}}', [("metadata.x", "out_of_range")]),
        (
            b'{"email": "a@example.dz", "metadata": {"x": [1, 18446744073709551616]}}',
            [("metadata.x[1]", "out_of_range")],
        ),
        (b'{"email": "a@example.dz", "metadata": {"x": NaN}}', [("metadata.x", "invalid")]),
        (b'{"email": "a@example.dz", "metadata": {"x": 1e999}}', [("metadata.x", "invalid")]),
    ],
    ids=["1e308", "int_above_64_bits", "nan", "overflows_to_infinity"],
)
async def test_a_signup_whose_metadata_holds_such_a_number_is_422_and_queues_nothing(
    client, sessionmaker, key, raw, expected
):
    response = await post_signed(client, "/v1/signups", key, raw)

    assert details_of(response) == expected
    assert await jobs_of_store(sessionmaker, key.store_id) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"event": "page_view", "properties": {"x": -1e300}}', [("properties.x", "out_of_range")]),
        (b'{"event": "page_view", "properties": {"x": Infinity}}', [("properties.x", "invalid")]),
        (
            b'{"events": [{"event": "page_view"}, {"event": "page_view", "properties": {"y": 1e20}}]}',
            [("events.1.properties.y", "out_of_range")],
        ),
    ],
    ids=["one_event", "infinity", "batch"],
)
async def test_events_whose_properties_hold_such_a_number_are_422_and_queue_nothing(
    client, sessionmaker, key, raw, expected
):
    response = await post_signed(client, "/v1/events", key, raw)

    assert details_of(response) == expected
    assert await jobs_of_store(sessionmaker, key.store_id) == []


async def test_a_signup_with_numbers_within_64_bits_is_accepted(client, sessionmaker, key):
    raw = b'{"email": "a@example.dz", "metadata": {"score": 9.2e18, "ratio": 0.5, "count": 9223372036854775807}}'

    response = await post_signed(client, "/v1/signups", key, raw)

    assert response.status_code == 202, response.text
    [job] = await jobs_of_store(sessionmaker, key.store_id)
    assert job.payload["metadata"] == {"score": 9.2e18, "ratio": 0.5, "count": 9223372036854775807}

"""POST /v1/signups and POST /v1/events over HTTP: signed requests accepted with 202 and their job queued, every
refusal a 401 (or 403 for an origin) with nothing queued, CORS, validation, and the limits that apply per key."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from db.models import ApiKey
from storegraph.platform.auth.scopes import Scope
from storegraph.platform.timestamps import utcnow
from storegraph.rules.tracking.jobs import EVENTS_JOB, SIGNUP_JOB
from tests.conftest import services_of
from tests.support.factories import create_key, create_store
from tests.support.tracking_support import (
    PublicKey,
    body_bytes,
    create_public_key,
    jobs_of_store,
    post_signed,
    seed_signature,
    signed_headers,
)

SHOP = "https://shop.example"
SIGNUP = {
    "email": "amina@example.dz",
    "phone": "0555 12 34 56",
    "name": "Amina",
    "source": "landing",
    "campaign": "ete",
}


@pytest.fixture
async def key(session) -> PublicKey:
    store = await create_store(session)
    public = await create_public_key(session, store)
    await session.commit()
    return public


@pytest.fixture
async def listed_key(session) -> PublicKey:
    """A key that only pages of https://shop.example may use."""
    store = await create_store(session)
    public = await create_public_key(session, store, allowed_origins=[SHOP, "http://localhost:3000"])
    await session.commit()
    return public


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"]["code"] == "unauthorized"
    assert body["meta"]["request_id"] == response.headers["x-request-id"]


# --- accepted ---------------------------------------------------------------------------------------------------


async def test_a_signed_signup_is_accepted_with_its_id_once_its_job_is_queued(client, sessionmaker, key):
    response = await post_signed(client, "/v1/signups", key, SIGNUP)

    assert response.status_code == 202, response.text
    signup_id = response.json()["data"]["id"]
    assert signup_id.startswith("sgn_")
    assert response.json()["data"] == {"id": signup_id}
    [job] = await jobs_of_store(sessionmaker, key.store_id)
    assert job.kind == SIGNUP_JOB
    assert job.payload["id"] == signup_id
    assert job.payload["key_id"] == key.key_id
    assert job.payload["email"] == "amina@example.dz"
    assert job.payload["phone"] == "0555123456"  # normalised for the store's region
    assert (job.payload["source"], job.payload["campaign"], job.payload["metadata"]) == ("landing", "ete", {})


async def test_one_signed_event_is_accepted_with_its_id(client, sessionmaker, key):
    response = await post_signed(client, "/v1/events", key, {"event": "page_view", "properties": {"path": "/"}})

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["accepted"] == 1
    [event_id] = data["ids"]
    assert event_id.startswith("tev_")
    [job] = await jobs_of_store(sessionmaker, key.store_id)
    assert job.kind == EVENTS_JOB
    [event] = job.payload["events"]
    assert (event["id"], event["event"], event["properties"]) == (event_id, "page_view", {"path": "/"})


async def test_a_batch_of_events_is_one_job_with_the_ids_in_the_order_sent(client, sessionmaker, key):
    events = [
        {"event": "page_view"},
        {"event": "add_to_cart", "properties": {"sku": "TS-1"}, "occurred_at": "2026-04-30 10:15:00"},
        {"event": "checkout:start", "occurred_at": "2026-04-30T11:00:00+01:00"},
    ]

    response = await post_signed(client, "/v1/events", key, {"events": events})

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["accepted"] == 3
    [job] = await jobs_of_store(sessionmaker, key.store_id)
    queued = job.payload["events"]
    assert [event["id"] for event in queued] == data["ids"]
    assert [event["event"] for event in queued] == ["page_view", "add_to_cart", "checkout:start"]
    assert queued[1]["occurred_at"] == "2026-04-30T10:15:00"
    assert queued[2]["occurred_at"] == "2026-04-30T10:00:00"  # moved to UTC


async def test_an_event_without_a_time_happened_now(client, sessionmaker, key):
    before = utcnow()

    await post_signed(client, "/v1/events", key, {"event": "page_view"})

    [job] = await jobs_of_store(sessionmaker, key.store_id)
    occurred_at = datetime.fromisoformat(job.payload["events"][0]["occurred_at"])
    assert before <= occurred_at <= utcnow()


@pytest.mark.parametrize("offset", [-300, 300])
async def test_a_timestamp_at_the_edge_of_the_tolerance_is_accepted(client, sessionmaker, key, monkeypatch, offset):
    now = float(int(time.time()))
    monkeypatch.setattr("storegraph.platform.auth.public_key.wall_clock", lambda: now)

    response = await post_signed(client, "/v1/signups", key, SIGNUP, timestamp=int(now) + offset)

    assert response.status_code == 202, response.text


async def test_the_signed_request_counts_against_the_keys_rate_limit_and_usage(client, app, key):
    response = await post_signed(client, "/v1/signups", key, SIGNUP)

    assert response.status_code == 202
    assert "x-ratelimit-limit" in response.headers
    usage = await services_of(app).rate_limiter.endpoint_usage(key.id)
    assert usage["POST /v1/signups"]["minute"] == 1


async def test_a_public_key_is_rate_limited_per_key_like_any_key(client, session):
    store = await create_store(session, plan="free")  # 30 requests a minute
    key = await create_public_key(session, store)
    await session.commit()
    for number in range(30):
        # A refused body is an answered request: it takes its slot like any other. (Each body differs: the same
        # body signed in the same second is the same signature, a replay.)
        assert (await post_signed(client, "/v1/signups", key, {"name": f"n{number}"})).status_code == 422

    response = await post_signed(client, "/v1/signups", key, SIGNUP, origin=SHOP)

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    # The page can read why, and when to come back.
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "Retry-After" in response.headers["access-control-expose-headers"]


async def test_the_key_records_its_last_use(client, sessionmaker, key):
    await post_signed(client, "/v1/signups", key, SIGNUP)

    async with sessionmaker() as session:
        row = await session.get(ApiKey, key.id)
    assert row is not None
    assert row.last_used_at is not None


# --- refused: 401, nothing queued -------------------------------------------------------------------------------


async def _refused_with(client, sessionmaker, key: PublicKey, headers: dict[str, str], body: bytes) -> None:
    response = await client.post("/v1/signups", content=body, headers=headers)

    assert_unauthorized(response)
    assert await jobs_of_store(sessionmaker, key.store_id) == []


@pytest.mark.parametrize(
    "change",
    [
        {"X-DZ-Key": None},
        {"X-DZ-Key": "dzpub_live_nothex"},
        {"X-DZ-Key": "dzpub_live_0123456789abcdef"},  # well formed, no such key
        {"X-DZ-Timestamp": None},
        {"X-DZ-Timestamp": "yesterday"},
        {"X-DZ-Timestamp": "-5"},
        {"X-DZ-Signature": None},
        {"X-DZ-Signature": "0" * 64},
        {"X-DZ-Signature": "not hex"},
    ],
    ids=lambda change: next(f"{name}={value}" for name, value in change.items()),
)
async def test_a_missing_or_wrong_header_is_refused(client, sessionmaker, key, change):
    body = body_bytes(SIGNUP)
    headers = signed_headers(key, body)
    for name, value in change.items():
        headers.pop(name)
        if value is not None:
            headers[name] = value

    await _refused_with(client, sessionmaker, key, headers, body)


async def test_a_signature_made_with_another_secret_is_refused(client, sessionmaker, key):
    body = body_bytes(SIGNUP)
    stamp = str(int(time.time()))
    headers = {**signed_headers(key, body), "X-DZ-Signature": seed_signature("dzsig_guessed", stamp, body)}
    headers["X-DZ-Timestamp"] = stamp

    await _refused_with(client, sessionmaker, key, headers, body)


async def test_a_body_changed_after_signing_is_refused(client, sessionmaker, key):
    headers = signed_headers(key, body_bytes(SIGNUP))

    await _refused_with(client, sessionmaker, key, headers, body_bytes({**SIGNUP, "email": "mallory@example.dz"}))


async def test_a_signature_for_another_timestamp_is_refused(client, sessionmaker, key):
    body = body_bytes(SIGNUP)
    headers = signed_headers(key, body)
    headers["X-DZ-Timestamp"] = str(int(headers["X-DZ-Timestamp"]) - 1)

    await _refused_with(client, sessionmaker, key, headers, body)


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
async def test_a_timestamp_beyond_the_tolerance_is_refused(client, sessionmaker, key, monkeypatch, offset):
    now = float(int(time.time()))
    monkeypatch.setattr("storegraph.platform.auth.public_key.wall_clock", lambda: now)
    body = body_bytes(SIGNUP)

    await _refused_with(client, sessionmaker, key, signed_headers(key, body, timestamp=int(now) + offset), body)


async def test_a_replayed_request_is_refused_and_queues_nothing_more(client, sessionmaker, key):
    body = body_bytes(SIGNUP)
    headers = signed_headers(key, body)
    first = await client.post("/v1/signups", content=body, headers=headers)

    replay = await client.post("/v1/signups", content=body, headers=headers)

    assert first.status_code == 202
    assert_unauthorized(replay)
    assert "already used" in replay.json()["error"]["message"]
    assert len(await jobs_of_store(sessionmaker, key.store_id)) == 1


async def test_a_revoked_public_key_is_refused(client, session, sessionmaker, key):
    row = await session.get(ApiKey, key.id)
    assert row is not None
    row.revoked_at = utcnow()
    await session.commit()
    body = body_bytes(SIGNUP)

    await _refused_with(client, sessionmaker, key, signed_headers(key, body), body)


async def test_a_test_key_string_for_a_live_key_is_refused(client, sessionmaker, key):
    body = body_bytes(SIGNUP)
    headers = signed_headers(key, body)
    headers["X-DZ-Key"] = key.token.replace("dzpub_live_", "dzpub_test_")

    await _refused_with(client, sessionmaker, key, headers, body)


async def test_a_platform_key_never_authenticates_the_tracking_endpoints(client, session, sessionmaker, key):
    store = await create_store(session)
    platform = await create_key(session, store)
    await session.commit()
    body = body_bytes(SIGNUP)
    stamp = str(int(time.time()))
    signature = seed_signature(platform.token.partition(".")[2], stamp, body)
    attempts = [
        {"X-DZ-Key": platform.token},  # the whole platform key
        {"X-DZ-Key": f"dzpub_live_{platform.key_id}"},  # its id as if it were public
        {"Authorization": f"Bearer {platform.token}"},  # Bearer, as everywhere else
    ]
    for credentials in attempts:
        headers = {"X-DZ-Timestamp": stamp, "X-DZ-Signature": signature, **credentials}

        response = await client.post("/v1/signups", content=body, headers=headers)

        assert_unauthorized(response)
    assert await jobs_of_store(sessionmaker, platform.store_id) == []


async def test_a_header_sent_twice_is_no_credential(client, sessionmaker, key):
    body = body_bytes(SIGNUP)
    headers = [*signed_headers(key, body).items(), ("X-DZ-Key", key.token)]

    response = await client.post("/v1/signups", content=body, headers=headers)

    assert_unauthorized(response)


async def test_other_methods_on_the_signed_paths_are_ordinary_routes(client, session):
    store = await create_store(session)
    platform = await create_key(session, store)
    await session.commit()

    with_key = await client.get("/v1/signups", headers=platform.headers)
    without = await client.get("/v1/events")

    assert with_key.status_code == 405
    assert with_key.headers["allow"] == "POST"
    assert_unauthorized(without)


# --- CORS -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/signups", "/v1/events"])
async def test_the_preflight_is_answered_without_a_key(client, path):
    response = await client.options(
        path,
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-dz-key,x-dz-timestamp,x-dz-signature",
        },
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {name.strip().lower() for name in response.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-dz-key", "x-dz-timestamp", "x-dz-signature"} <= allowed
    assert int(response.headers["access-control-max-age"]) > 0
    assert response.headers["vary"] == "Origin"


async def test_a_listed_origin_may_read_the_answer(client, listed_key):
    response = await post_signed(client, "/v1/signups", listed_key, SIGNUP, origin=SHOP)

    assert response.status_code == 202, response.text
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "Origin" in response.headers["vary"]
    assert "X-RateLimit-Remaining" in response.headers["access-control-expose-headers"]


async def test_an_origin_is_matched_as_browsers_send_it(client, listed_key):
    response = await post_signed(
        client, "/v1/events", listed_key, {"event": "page_view"}, origin="HTTP://LocalHost:3000"
    )

    assert response.status_code == 202, response.text


async def test_an_origin_the_key_does_not_list_is_refused(client, sessionmaker, listed_key):
    for origin in ("https://evil.example", "https://shop.example:8443", "http://shop.example", "null"):
        response = await post_signed(client, "/v1/signups", listed_key, SIGNUP, origin=origin)

        assert response.status_code == 403, origin
        assert response.json()["error"]["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in response.headers
    assert await jobs_of_store(sessionmaker, listed_key.store_id) == []


async def test_a_request_without_origin_is_no_browsers_and_is_accepted(client, listed_key):
    response = await post_signed(client, "/v1/signups", listed_key, SIGNUP)

    assert response.status_code == 202
    assert "access-control-allow-origin" not in response.headers


async def test_a_key_without_origins_lets_any_page_read_the_answer(client, key):
    response = await post_signed(client, "/v1/signups", key, SIGNUP, origin="https://anywhere.example")

    assert response.status_code == 202
    assert response.headers["access-control-allow-origin"] == "https://anywhere.example"


async def test_a_refused_body_is_readable_by_a_listed_origin(client, listed_key):
    response = await post_signed(client, "/v1/signups", listed_key, {"nickname": "x"}, origin=SHOP)

    assert response.status_code == 422
    assert response.headers["access-control-allow-origin"] == SHOP


# --- bodies -----------------------------------------------------------------------------------------------------


def _details(response) -> set[tuple[str, str]]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    return {(detail["field"], detail["code"]) for detail in error["details"]}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"email": "a@example.dz", "nickname": "x"}, ("nickname", "unknown_field")),
        ({}, ("email", "blank")),
        ({"name": "Amina"}, ("email", "blank")),
        ({"email": "not an email"}, ("email", "invalid_email")),
        ({"phone": "12"}, ("phone", "invalid_phone")),
        ({"email": 5}, ("email", "invalid_type")),
        ({"email": "a@example.dz", "metadata": ["a"]}, ("metadata", "invalid_type")),
        ({"email": "a@example.dz", "metadata": {"note": "x" * 17_000}}, ("metadata", "too_large")),
        ({"email": "a@example.dz", "name": "x" * 201}, ("name", "too_long")),
        ({"email": "a@example.dz", "source": "a\x00b"}, ("source", "invalid")),
    ],
)
async def test_a_signup_body_that_breaks_a_rule_is_refused_with_details(client, sessionmaker, key, body, expected):
    response = await post_signed(client, "/v1/signups", key, body)

    assert expected in _details(response)
    assert await jobs_of_store(sessionmaker, key.store_id) == []


def _in(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"event": "page_view", "page": "/"}, ("page", "unknown_field")),
        ({}, ("event", "blank")),
        ({"event": "Page View"}, ("event", "invalid")),
        ({"event": "x" * 65}, ("event", "invalid")),
        ({"event": "page_view", "properties": "a"}, ("properties", "invalid_type")),
        ({"event": "page_view", "occurred_at": "1999-12-31 23:59:59"}, ("occurred_at", "out_of_range")),
        ({"event": "page_view", "occurred_at": _in(1.1)}, ("occurred_at", "out_of_range")),
        ({"event": "page_view", "occurred_at": "yesterday"}, ("occurred_at", "invalid")),
        ({"event": "page_view", "occurred_at": 1700000000}, ("occurred_at", "invalid")),
        ({"event": "page_view", "occurred_at": "1700000000"}, ("occurred_at", "invalid")),
        ({"events": []}, ("events", "blank")),
        ({"events": [{"event": "page_view"}] * 101}, ("events", "too_long")),
        ({"event": "page_view", "events": [{"event": "page_view"}]}, ("events", "invalid")),
        ({"events": [{"event": "page_view"}, {"event": "BAD"}]}, ("events.1.event", "invalid")),
        (
            {"events": [{"event": "page_view", "occurred_at": "1990-01-01 00:00:00"}]},
            ("events.0.occurred_at", "out_of_range"),
        ),
        ({"events": [{"properties": {}}]}, ("events.0.event", "blank")),
    ],
)
async def test_an_events_body_that_breaks_a_rule_is_refused_with_details(client, sessionmaker, key, body, expected):
    response = await post_signed(client, "/v1/events", key, body)

    assert expected in _details(response)
    assert await jobs_of_store(sessionmaker, key.store_id) == []


async def test_an_event_a_little_ahead_of_the_clock_is_accepted(client, key):
    response = await post_signed(client, "/v1/events", key, {"event": "page_view", "occurred_at": _in(0.9)})

    assert response.status_code == 202, response.text


async def test_a_body_that_is_not_json_is_refused(client, key):
    response = await post_signed(client, "/v1/signups", key, b"{not json")

    assert ("body", "invalid_json") in _details(response)


# --- idempotency ------------------------------------------------------------------------------------------------


async def test_no_idempotency_key_is_needed_and_one_sent_is_honoured(client, sessionmaker, key):
    body = body_bytes(SIGNUP)
    first = await client.post(
        "/v1/signups", content=body, headers={**signed_headers(key, body), "Idempotency-Key": "signup-1"}
    )
    # The client retries (signed anew: a new timestamp) with the same Idempotency-Key.
    retry_headers = signed_headers(key, body, timestamp=int(time.time()) + 1)

    retry = await client.post("/v1/signups", content=body, headers={**retry_headers, "Idempotency-Key": "signup-1"})

    assert first.status_code == retry.status_code == 202
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["data"] == first.json()["data"]
    assert len(await jobs_of_store(sessionmaker, key.store_id)) == 1


# --- the GraphQL side -------------------------------------------------------------------------------------------


async def test_no_platform_key_can_track_through_graphql(session, gql):
    store = await create_store(session)
    platform = await create_key(session, store)
    await session.commit()

    payload = await gql.query(
        'mutation { trackSignup(input: {email: "a@example.dz"}) { id } }', headers=platform.headers
    )

    assert payload["data"] == {"trackSignup": None}
    assert payload["errors"][0]["extensions"]["code"] == "insufficient_scope"
    assert Scope.TRACKING_WRITE.value in payload["errors"][0]["message"]


async def test_a_signed_request_body_is_handed_on_byte_for_byte(client, sessionmaker, key):
    """The body is read once to verify it and again by the endpoint: both must see the bytes that were signed."""
    body = orjson.dumps({"event": "page_view", "properties": {"title": "Soldes d'été", "n": 12345678901234567}})

    response = await client.post("/v1/events", content=body, headers=signed_headers(key, body))

    assert response.status_code == 202
    [job] = await jobs_of_store(sessionmaker, key.store_id)
    assert job.payload["events"][0]["properties"] == {"title": "Soldes d'été", "n": 12345678901234567}

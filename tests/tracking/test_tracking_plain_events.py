"""The plain reading of ``POST /v1/events`` (``plain_events``, ``plainly_valid_json``) accepts only what the full
checks accept, gives the same events, and leaves everything else to them."""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from datetime import datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rest_compat.rows import tracking as tracking_rows
from schema.core.scalars import parse_datetime
from storegraph.platform.validation import MAX_JSON_INT, Problems, plainly_valid_json
from storegraph.rules.tracking.jobs import new_tracked_event_ids
from storegraph.rules.tracking.validation import EventInput, EventsInput, plain_events, valid_events
from tests.conftest import services_of
from tests.support.factories import create_store
from tests.support.tracking_support import PublicKey, create_public_key, jobs_of_store, post_signed

NOW = datetime(2026, 5, 1, 12, 0, 0)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(max_codepoint=0x7F)),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=4), inner, max_size=4),
    ),
    max_leaves=30,
)


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"inner": value}
    return value


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=4), json_values, max_size=4))
def test_what_the_quick_check_passes_the_naming_walk_passes_too(value):
    if plainly_valid_json(value):
        assert Problems().json_value("properties", value, depth=1)


@pytest.mark.parametrize(
    "value",
    [
        {"path": "/products/1", "seq": 1, "price": 15.5, "tags": ["a", None, True], "more": {"deep": [1, {}]}},
        {},
        nested(10),
        {"big": MAX_JSON_INT, "small": -MAX_JSON_INT - 1, "tab": "a\tb\nc\r"},
    ],
)
def test_the_quick_check_passes_plain_json(value):
    assert plainly_valid_json(value)
    assert Problems().json_value("properties", value, depth=1)


@pytest.mark.parametrize(
    "value",
    [
        {"a": "bell\x07"},
        {"key\x00": 1},
        {"a": MAX_JSON_INT + 1},
        {"a": math.inf},
        {"a": math.nan},
        {"a": 1e300},
        nested(11),
        {1: "not a string key"},
        {"a": OrderedDict(b=1)},  # a Mapping other than a dict: the naming walk decides
        {"a": (1, 2)},
    ],
)
def test_the_quick_check_is_unsure_of_anything_else(value):
    assert not plainly_valid_json(value)


def test_a_problem_the_quick_check_leaves_is_still_named():
    problems = Problems()

    problems.json_object("properties", {"a": [1, {"b": "bell\x07"}]})

    assert [(detail.field, detail.code) for detail in problems.details] == [("properties.a[1].b", "invalid")]


def full_checks(body: dict[str, Any]) -> list[Any]:
    def event(item: dict[str, Any]) -> EventInput:
        moment = item.get("occurred_at")
        return EventInput(item.get("event"), item.get("properties"), None if moment is None else parse_datetime(moment))

    if "events" in body:
        return valid_events(EventsInput(events=[event(item) for item in body["events"]]), now=NOW)
    single = event(body)
    raw = EventsInput(event=single.event, properties=single.properties, occurred_at=single.occurred_at)
    return valid_events(raw, now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        {"event": "page_view"},
        {"event": "page_view", "properties": {"path": "/"}, "occurred_at": "2026-04-30T10:00:00Z"},
        {"event": "cart.add", "occurred_at": "2026-04-30T11:00:00+01:00"},
        {"event": "checkout:start", "occurred_at": "2026-04-30 10:15:00"},
        {"events": [{"event": "page_view"}, {"event": "a-b_c", "properties": {"n": [1, 2.5]}}]},
        {"events": [{"event": "page_view", "occurred_at": "2026-05-02T11:59:59z"}] * 100},
    ],
)
def test_a_plain_body_gives_the_events_the_full_checks_give(body):
    assert plain_events(body, now=NOW, moment=tracking_rows._plain_moment) == full_checks(body)


@pytest.mark.parametrize(
    "body",
    [
        {"event": "page_view", "properties": None},
        {"event": "page_view", "occurred_at": None},
        {"event": None},
        {"event": "page_view", "page": "/"},
        {"event": " page_view "},
        {"event": "Page View"},
        {"event": "page_view", "properties": {"a": "\x01"}},
        {"event": "page_view", "properties": {"a": "x" * 20_000}},
        {"event": "page_view", "occurred_at": "1999-12-31 23:59:59"},
        {"event": "page_view", "occurred_at": "2026-05-02T12:00:01Z"},
        {"event": "page_view", "occurred_at": "1700000000"},
        {"event": "page_view", "occurred_at": 1700000000},
        {"events": []},
        {"events": [{"event": "page_view"}] * 101},
        {"events": [{"event": "page_view"}], "event": "page_view"},
        {"events": [{"event": "page_view"}, "page_view"]},
        {"events": None},
        [{"event": "page_view"}],
    ],
)
def test_anything_but_a_plain_body_is_left_to_the_full_checks(body):
    assert plain_events(body, now=NOW, moment=tracking_rows._plain_moment) is None


def test_event_ids_are_distinct_and_shaped_like_every_id_of_theirs():
    ids = new_tracked_event_ids(100)

    assert len(set(ids)) == 100
    assert all(re.fullmatch(r"tev_[0-9a-f]{24}", event_id) for event_id in ids)


# --- through the endpoint ----------------------------------------------------------------------------------------


@pytest.fixture
async def key(session) -> PublicKey:
    store = await create_store(session)
    public = await create_public_key(session, store)
    await session.commit()
    return public


# Every event with its time: one without happened "now", which differs between two requests.
BODIES = [
    {"event": "page_view", "properties": {"path": "/", "n": 1.5}, "occurred_at": "2026-04-30T11:00:00+01:00"},
    {
        "events": [
            {"event": "page_view", "occurred_at": "2026-04-30 10:15:00"},
            {"event": "cart.add", "properties": {"sku": ["TS-1", None]}, "occurred_at": "2026-04-30T10:16:00Z"},
        ]
    },
]


def stored_events(job: Any) -> list[dict[str, Any]]:
    # The ids are new on every request: what must match is everything the client said.
    return [{name: value for name, value in event.items() if name != "id"} for event in job.payload["events"]]


@pytest.mark.parametrize("body", BODIES)
async def test_the_plain_reading_queues_what_the_full_checks_queue(client, sessionmaker, key, monkeypatch, body):
    first = await post_signed(client, "/v1/events", key, body)
    monkeypatch.setattr(tracking_rows, "plain_events", lambda *_args, **_kwargs: None)
    # The same JSON in other bytes: the same bytes again would be a replay.
    second = await post_signed(client, "/v1/events", key, orjson.dumps(body) + b" ")

    assert (first.status_code, second.status_code) == (202, 202)

    plain, full = await jobs_of_store(sessionmaker, key.store_id)

    assert stored_events(plain) == stored_events(full)


@pytest.mark.parametrize(
    "body",
    [
        {"event": "page_view", "properties": None, "occurred_at": None},
        {"events": [{"event": "page_view", "properties": None}]},
    ],
)
async def test_a_body_the_plain_reading_leaves_is_still_accepted(client, sessionmaker, key, body):
    response = await post_signed(client, "/v1/events", key, body)

    assert response.status_code == 202, response.text
    [job] = await jobs_of_store(sessionmaker, key.store_id)
    assert job.payload["events"][0]["properties"] == {}


async def test_a_body_the_model_refuses_is_not_counted_under_the_endpoint(client, app, key):
    response = await post_signed(client, "/v1/events", key, {"event": "page_view", "page": "/"})

    assert response.status_code == 422, response.text
    usage = await services_of(app).rate_limiter.endpoint_usage(key.id)
    assert "POST /v1/events" not in usage

"""POST /v1/signups and POST /v1/events run their rule directly, not their GraphQL operation: with the GraphQL
runner out of order they still answer, and refuse, as the operation would (rest_compat/direct.py)."""

from __future__ import annotations

from typing import Any

import pytest

from rest_compat.handler import RestApi
from storegraph.routing import PrefixRoute
from tests.support.factories import create_store
from tests.support.tracking_support import PublicKey, create_public_key, jobs_of_store, post_signed


@pytest.fixture
async def key(session) -> PublicKey:
    store = await create_store(session)
    public = await create_public_key(session, store)
    await session.commit()
    return public


@pytest.fixture
def no_graphql(app, monkeypatch) -> None:
    """Any GraphQL operation the /v1 handler would run fails the test."""
    [rest] = [route.app for route in app.router.routes if isinstance(route, PrefixRoute)]
    assert isinstance(rest, RestApi)

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the tracking intake ran a GraphQL operation")

    monkeypatch.setattr(rest.runner, "operation", refuse)


async def test_events_are_accepted_without_running_graphql(client, sessionmaker, key, no_graphql):
    response = await post_signed(client, "/v1/events", key, {"events": [{"event": "page_view"}, {"event": "cart.add"}]})

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["accepted"] == 2
    [job] = await jobs_of_store(sessionmaker, key.store_id)
    assert [event["id"] for event in job.payload["events"]] == data["ids"]


async def test_a_signup_is_accepted_without_running_graphql(client, sessionmaker, key, no_graphql):
    response = await post_signed(client, "/v1/signups", key, {"email": "amina@example.dz"})

    assert response.status_code == 202, response.text
    [job] = await jobs_of_store(sessionmaker, key.store_id)
    assert job.payload["id"] == response.json()["data"]["id"]


async def test_a_refused_event_names_the_rest_field_without_running_graphql(client, sessionmaker, key, no_graphql):
    body = {"events": [{"event": "page_view"}, {"event": "page_view", "occurred_at": "1999-12-31T23:59:59Z"}]}

    response = await post_signed(client, "/v1/events", key, body)

    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert (detail["field"], detail["code"]) == ("events.1.occurred_at", "out_of_range")
    assert await jobs_of_store(sessionmaker, key.store_id) == []

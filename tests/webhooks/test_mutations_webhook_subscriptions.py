"""webhookSubscriptions, createWebhookSubscription and deleteWebhookSubscription: http(s) endpoints, known events
only, and a signing secret shown once."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from graphql import GraphQLObjectType

from db.models import Store, WebhookSubscription
from schema.core.build import build_schema
from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from storegraph.rules.webhooks.subscriptions import new_signing_secret
from tests.conftest import services_of
from tests.support.factories import create_key, create_store
from tests.support.idempotency_support import kept_bytes, redis_app
from tests.support.mutation_helpers import assert_insufficient_scope, count_rows, snapshot, succeeded, user_errors

FIELDS = "id url events isActive disabledReason createdAt updatedAt"
CREATE = f"""
mutation($input: CreateWebhookSubscriptionInput!) {{
  createWebhookSubscription(input: $input) {{
    webhookSubscription {{ {FIELDS} }} secret userErrors {{ field code message }}
  }}
}}
"""
DELETE = """
mutation($id: ID!) { deleteWebhookSubscription(id: $id) { deletedId userErrors { field code message } } }
"""
LIST = f"""
query($first: Int!, $after: String) {{
  webhookSubscriptions(first: $first, after: $after) {{
    totalCount edges {{ node {{ {FIELDS} }} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
VALID = {"url": "https://shop.example.com/hooks/dz", "events": ["order.created", "order.shipped"]}


async def _subscription(session, store: Store, *, created_at: datetime | None = None) -> WebhookSubscription:
    row = WebhookSubscription(
        store_id=store.id,
        url="https://example.com/hook",
        events=["order.created"],
        secret=new_signing_secret(),
        created_at=created_at or datetime(2026, 1, 1),
        updated_at=created_at or datetime(2026, 1, 1),
    )
    session.add(row)
    await session.flush()
    return row


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    subscription = await _subscription(session, store)
    await session.commit()
    return store, key, subscription


def _without(scope: Scope) -> tuple[Scope, ...]:
    return tuple(s for s in ALL_SCOPES if s is not scope)


# --- createWebhookSubscription ----------------------------------------------------------------------------------


async def test_create_returns_the_signing_secret_once(gql, sessionmaker, shop):
    store, key, _subscription = shop

    payload = await gql.query(
        CREATE, {"input": {**VALID, "events": ["order.created", "order.shipped", "order.created"]}}, headers=key.headers
    )

    created = succeeded(payload, "createWebhookSubscription")
    subscription, secret = created["webhookSubscription"], created["secret"]
    assert subscription["url"] == VALID["url"]
    assert subscription["events"] == ["order.created", "order.shipped"]
    assert (subscription["isActive"], subscription["disabledReason"]) == (True, None)
    assert secret.startswith("whsec_")
    assert len(secret) == len("whsec_") + 43
    row = await snapshot(sessionmaker, WebhookSubscription, int(subscription["id"]))
    assert (row["store_id"], row["url"], row["events"], row["secret"]) == (
        store.id,
        VALID["url"],
        ["order.created", "order.shipped"],
        secret,
    )


async def test_every_documented_event_and_plain_http_are_accepted(gql, shop):
    _store, key, _subscription = shop
    events = [
        "order.created",
        "order.confirmed",
        "order.shipped",
        "order.delivered",
        "order.cancelled",
        "signup.counted",
        "product.stock_low",
    ]

    payload = await gql.query(
        CREATE, {"input": {"url": "http://localhost:8080/hook?x=1", "events": events}}, headers=key.headers
    )

    assert succeeded(payload, "createWebhookSubscription")["webhookSubscription"]["events"] == events


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"url": ""}, "url", "blank"),
        ({"url": "ftp://example.com/hook"}, "url", "invalid"),
        ({"url": "https://"}, "url", "invalid"),
        ({"url": "example.com/hook"}, "url", "invalid"),
        ({"url": "https://example.com:99999/"}, "url", "invalid"),
        ({"url": "https://example.com/" + "a" * 2030}, "url", "too_long"),
        ({"events": []}, "events", "blank"),
        ({"events": ["order.created", "order.exploded"]}, "events", "unknown_event"),
        ({"events": ["ORDER.CREATED"]}, "events", "unknown_event"),
    ],
)
async def test_create_refuses_invalid_input(gql, sessionmaker, shop, changes, field, code):
    store, key, _subscription = shop

    payload = await gql.query(CREATE, {"input": {**VALID, **changes}}, headers=key.headers)

    assert user_errors(payload, "createWebhookSubscription") == [(field, code)]
    assert payload["data"]["createWebhookSubscription"]["secret"] is None
    assert await count_rows(sessionmaker, WebhookSubscription, store.id) == 1


async def test_create_without_webhooks_write_is_refused(session, gql, sessionmaker, shop):
    store, _key, _subscription = shop
    key = await create_key(session, store, scopes=_without(Scope.WEBHOOKS_WRITE))
    await session.commit()

    payload = await gql.query(CREATE, {"input": VALID}, headers=key.headers)

    assert_insufficient_scope(payload, "createWebhookSubscription", "webhooks:write")
    assert await count_rows(sessionmaker, WebhookSubscription, store.id) == 1


def test_webhook_subscription_type_never_exposes_the_secret():
    gql_type = build_schema()._schema.type_map["WebhookSubscription"]

    assert isinstance(gql_type, GraphQLObjectType)
    assert not any("secret" in name.lower() for name in gql_type.fields)


# --- deleteWebhookSubscription ----------------------------------------------------------------------------------


async def test_delete_removes_the_subscription(gql, sessionmaker, shop):
    store, key, subscription = shop

    payload = await gql.query(DELETE, {"id": str(subscription.id)}, headers=key.headers)

    assert succeeded(payload, "deleteWebhookSubscription")["deletedId"] == str(subscription.id)
    assert await snapshot(sessionmaker, WebhookSubscription, subscription.id) == {}
    assert await count_rows(sessionmaker, WebhookSubscription, store.id) == 0


async def test_deleting_another_stores_subscription_is_not_found(session, gql, sessionmaker, shop):
    _store, _key, subscription = shop
    other_key = await create_key(session, await create_store(session))
    await session.commit()
    before = await snapshot(sessionmaker, WebhookSubscription, subscription.id)

    payload = await gql.query(DELETE, {"id": str(subscription.id)}, headers=other_key.headers)

    assert user_errors(payload, "deleteWebhookSubscription") == [("id", "not_found")]
    assert payload["data"]["deleteWebhookSubscription"]["deletedId"] is None
    assert await snapshot(sessionmaker, WebhookSubscription, subscription.id) == before


async def test_delete_without_webhooks_write_is_refused(session, gql, sessionmaker, shop):
    store, _key, subscription = shop
    key = await create_key(session, store, scopes=_without(Scope.WEBHOOKS_WRITE))
    await session.commit()
    before = await snapshot(sessionmaker, WebhookSubscription, subscription.id)

    payload = await gql.query(DELETE, {"id": str(subscription.id)}, headers=key.headers)

    assert_insufficient_scope(payload, "deleteWebhookSubscription", "webhooks:write")
    assert await snapshot(sessionmaker, WebhookSubscription, subscription.id) == before


# --- webhookSubscriptions ---------------------------------------------------------------------------------------


async def test_list_pages_through_the_stores_subscriptions_newest_first(session, gql, shop):
    store, key, oldest = shop
    base = datetime(2026, 2, 1)
    middle = await _subscription(session, store, created_at=base)
    newest = await _subscription(session, store, created_at=base + timedelta(hours=1))
    await _subscription(session, await create_store(session), created_at=base + timedelta(hours=2))
    await session.commit()

    first = await gql.query(LIST, {"first": 2}, headers=key.headers)
    cursor = first["data"]["webhookSubscriptions"]["pageInfo"]["endCursor"]
    second = await gql.query(LIST, {"first": 2, "after": cursor}, headers=key.headers)

    assert "errors" not in first
    assert "errors" not in second
    pages = [first["data"]["webhookSubscriptions"], second["data"]["webhookSubscriptions"]]
    assert [page["totalCount"] for page in pages] == [3, 3]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, False]
    ids = [edge["node"]["id"] for page in pages for edge in page["edges"]]
    assert ids == [str(newest.id), str(middle.id), str(oldest.id)]


# --- secrets at rest ----------------------------------------------------------------------------------------------


@pytest.fixture(params=["embedded", "redis"])
async def any_app(request, app, database_url):
    """The app on the embedded default, and one whose idempotency records live in the real Redis."""
    if request.param == "embedded":
        yield app
        return
    async with redis_app(database_url) as application:
        yield application


async def test_a_subscription_created_with_an_idempotency_key_is_kept_sealed_and_replayed(any_app, shop):
    _store, key, _subscription = shop
    headers = {**key.headers, "Idempotency-Key": uuid4().hex}
    transport = httpx.ASGITransport(app=any_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        first = await http.post("/v1/webhooks", json=VALID, headers=headers)
        kept = await kept_bytes(services_of(any_app).idempotency)
        again = await http.post("/v1/webhooks", json=VALID, headers=headers)

    secret = first.json()["data"]["secret"]
    assert first.status_code == 201
    assert secret.encode() not in kept
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"]["secret"] == secret

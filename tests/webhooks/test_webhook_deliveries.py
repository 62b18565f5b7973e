"""The delivery log of a webhook subscription: ``webhookDeliveries`` in GraphQL and GET /v1/webhooks/{id}/deliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.models import Store, WebhookDelivery, WebhookSubscription
from storegraph.platform.auth.scopes import Scope
from storegraph.platform.timestamps import utcnow
from tests.support.factories import create_key, create_store

DELIVERIES = """
query Deliveries($id: ID!, $first: Int!, $after: String) {
  webhookDeliveries(subscriptionId: $id, first: $first, after: $after) {
    nodes { deliveryId eventId event attempt succeeded responseStatus durationMs responseExcerpt error createdAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def create_subscription(session, store: Store) -> WebhookSubscription:
    subscription = WebhookSubscription(
        store_id=store.id, url="https://example.com/hooks", events=["order.created"], secret="whsec_test"
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def log_attempts(session, subscription: WebhookSubscription, outcomes: list[int | None]) -> None:
    """One delivery of one event, attempted once per outcome (a status code, or None for a timeout)."""
    start = utcnow() - timedelta(hours=1)
    for attempt, status in enumerate(outcomes, start=1):
        session.add(
            WebhookDelivery(
                store_id=subscription.store_id,
                subscription_id=subscription.id,
                delivery_id="dlv_1",
                event_id="evt_1",
                event="order.created",
                attempt=attempt,
                succeeded=status is not None and 200 <= status < 300,
                response_status=status,
                duration_ms=None if status is None else 12,
                response_excerpt=None if status is None else "ok",
                error="timed out after 10 s" if status is None else None,
                created_at=start + timedelta(minutes=attempt),
            )
        )
    await session.flush()


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    subscription = await create_subscription(session, store)
    await log_attempts(session, subscription, [500, None, 200])
    key = await create_key(session, store)
    await session.commit()
    return subscription, key


async def test_deliveries_are_listed_newest_first_with_their_outcomes(gql, shop):
    subscription, key = shop

    payload = await gql.query(DELIVERIES, {"id": str(subscription.id), "first": 10}, headers=key.headers)

    nodes = payload["data"]["webhookDeliveries"]["nodes"]
    assert [node["attempt"] for node in nodes] == [3, 2, 1]
    assert [node["responseStatus"] for node in nodes] == [200, None, 500]
    assert [node["succeeded"] for node in nodes] == [True, False, False]
    assert nodes[1]["error"] == "timed out after 10 s"


async def test_deliveries_page_with_cursors(gql, shop):
    subscription, key = shop
    first = await gql.query(DELIVERIES, {"id": str(subscription.id), "first": 2}, headers=key.headers)
    cursor = first["data"]["webhookDeliveries"]["pageInfo"]["endCursor"]

    second = await gql.query(DELIVERIES, {"id": str(subscription.id), "first": 2, "after": cursor}, headers=key.headers)

    assert first["data"]["webhookDeliveries"]["pageInfo"]["hasNextPage"] is True
    assert [node["attempt"] for node in second["data"]["webhookDeliveries"]["nodes"]] == [1]


async def test_another_stores_subscription_is_not_found(gql, session, shop):
    subscription, _key = shop
    other = await create_store(session)
    other_key = await create_key(session, other)
    await session.commit()

    payload = await gql.query(DELIVERIES, {"id": str(subscription.id), "first": 10}, headers=other_key.headers)

    assert payload["data"]["webhookDeliveries"] is None
    assert payload["errors"][0]["extensions"]["code"] == "not_found"


async def test_deliveries_need_webhooks_read(gql, session, shop):
    subscription, _key = shop
    store = await session.get(Store, subscription.store_id)
    key = await create_key(session, store, scopes=(Scope.ORDERS_READ,))
    await session.commit()

    payload = await gql.query(DELIVERIES, {"id": str(subscription.id), "first": 10}, headers=key.headers)

    assert payload["errors"][0]["extensions"]["code"] == "insufficient_scope"
    assert "webhooks:read" in payload["errors"][0]["message"]


async def test_rest_lists_deliveries_in_the_envelope(client, shop):
    subscription, key = shop

    response = await client.get(f"/v1/webhooks/{subscription.id}/deliveries?limit=2", headers=key.headers)

    body = response.json()
    assert response.status_code == 200
    assert [item["attempt"] for item in body["data"]["items"]] == [3, 2]
    assert body["data"]["has_more"] is True
    assert body["data"]["items"][0] == {
        "id": body["data"]["items"][0]["id"],
        "delivery_id": "dlv_1",
        "event_id": "evt_1",
        "event": "order.created",
        "attempt": 3,
        "succeeded": True,
        "response_status": 200,
        "duration_ms": 12,
        "response_excerpt": "ok",
        "error": None,
        "created_at": body["data"]["items"][0]["created_at"],
    }


async def test_rest_deliveries_of_an_unknown_subscription_are_not_found(client, shop):
    _subscription, key = shop

    response = await client.get("/v1/webhooks/999999999/deliveries", headers=key.headers)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"

"""Webhook delivery end to end (contract §5): a real HTTP receiver on 127.0.0.1 subscribes, orders are placed and
confirmed through GraphQL, the dispatcher and the delivery jobs run, and every delivery verifies with seed 004's
Express handler (rewritten in Python in tests/webhooks/test_webhook_delivery_support.py). Retries keep the same
X-DZ-Delivery and every attempt is in the delivery log, in GraphQL and in REST."""

from __future__ import annotations

import re
from typing import Any

import pytest

from db.models import Product
from storegraph.rules.webhooks.schedule import RETRY_DELAYS
from storegraph.rules.webhooks.signing import delivery_id
from tests.support.factories import create_key, create_product, create_store
from tests.support.mutation_helpers import succeeded
from tests.webhooks.test_webhook_delivery_support import Answer, attempts_of, draining_worker, receiver, seed_004_status

REST_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

SUBSCRIBE = """
mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    webhookSubscription { id isActive }
    secret
    userErrors { field code message }
  }
}
"""
PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id orderNumber total } userErrors { field code message } }
}
"""
UPDATE = """
mutation($input: UpdateOrderStatusInput!) {
  updateOrderStatus(input: $input) { order { id status } userErrors { field code message } }
}
"""
DELIVERIES = """
query($id: ID!) {
  webhookDeliveries(subscriptionId: $id, first: 50) {
    totalCount
    nodes { deliveryId eventId event attempt succeeded responseStatus durationMs responseExcerpt error }
  }
}
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store, name="Robe kabyle", price=2500)
    await session.commit()
    return store, key, product


async def subscribe(gql, key, url: str, events: list[str]) -> tuple[int, str]:
    created = succeeded(
        await gql.query(SUBSCRIBE, {"input": {"url": url, "events": events}}, headers=key.headers),
        "createWebhookSubscription",
    )
    return int(created["webhookSubscription"]["id"]), created["secret"]


async def place_order(gql, key, product: Product, quantity: int = 1) -> dict[str, Any]:
    variables = {
        "input": {
            "lines": [{"productId": str(product.id), "quantity": quantity}],
            "customer": {"firstName": "Sara", "lastName": "Mansouri", "phone": "0555 20 30 40", "wilayaId": 16},
        }
    }
    return succeeded(await gql.query(PLACE, variables, headers=key.headers), "placeOrder")["order"]


async def set_status(gql, key, order_id: str, status: str) -> None:
    variables = {"input": {"id": order_id, "status": status}}
    succeeded(await gql.query(UPDATE, variables, headers=key.headers), "updateOrderStatus")


async def test_an_order_placed_and_confirmed_reaches_the_receiver_signed_as_seed_004_verifies(app, gql, shop):
    _store, key, product = shop
    async with receiver() as hooks, draining_worker(app) as worker:
        subscription_id, secret = await subscribe(gql, key, hooks.url, ["order.created", "order.confirmed"])
        order = await place_order(gql, key, product)
        await set_status(gql, key, order["id"], "CONFIRMED")

        await worker.run()

    assert [request.event for request in hooks.requests] == ["order.created", "order.confirmed"]
    for request in hooks.requests:
        assert seed_004_status(secret, request) == 200
        assert seed_004_status("whsec_someone-else", request) == 401
        assert request.method == "POST"
        assert request.path == "/hooks/dz"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"] == "storegraph-webhooks/1"
        body = request.json()
        assert list(body) == ["id", "event", "created_at", "data"]
        assert body["event"] == request.event
        assert body["id"].startswith("evt_")
        assert REST_TIMESTAMP.match(body["created_at"])
        assert request.delivery == delivery_id(body["id"], subscription_id)
        assert body["data"]["order_number"] == order["orderNumber"]
        assert body["data"]["total"] == order["total"]
    created, confirmed = (request.json() for request in hooks.requests)
    assert (created["data"]["status"], confirmed["data"]["status"]) == ("pending", "confirmed")
    assert created["id"] != confirmed["id"]


async def test_a_receiver_that_fails_twice_gets_three_attempts_of_one_delivery_all_logged(app, gql, client, shop):
    _store, key, product = shop
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(Answer(500, b"database down"), Answer(500, b"still down"), event="order.created")
        subscription_id, secret = await subscribe(gql, key, hooks.url, ["order.created", "order.confirmed"])
        order = await place_order(gql, key, product)
        await set_status(gql, key, order["id"], "CONFIRMED")

        await worker.run()

    created = hooks.of("order.created")
    assert len(created) == 3
    assert len({request.delivery for request in created}) == 1
    assert len({request.body for request in created}) == 1  # the same bytes, signed afresh each time
    assert all(seed_004_status(secret, request) == 200 for request in created)
    assert len(hooks.of("order.confirmed")) == 1
    # The first two retries waited the schedule's first two steps, ±20 %.
    assert len(worker.delays) == 2
    for delay, step in zip(worker.delays, RETRY_DELAYS, strict=False):
        assert step * 0.8 <= delay <= step * 1.2

    logged = (await gql.query(DELIVERIES, {"id": str(subscription_id)}, headers=key.headers))["data"]
    nodes = logged["webhookDeliveries"]["nodes"]
    assert logged["webhookDeliveries"]["totalCount"] == 4
    created_log = [node for node in nodes if node["event"] == "order.created"]
    assert [node["attempt"] for node in created_log] == [3, 2, 1]
    assert [node["responseStatus"] for node in created_log] == [200, 500, 500]
    assert [node["succeeded"] for node in created_log] == [True, False, False]
    assert [node["responseExcerpt"] for node in created_log] == ['{"received": true}', "still down", "database down"]
    assert {node["deliveryId"] for node in created_log} == {created[0].delivery}
    assert {node["eventId"] for node in created_log} == {created[0].json()["id"]}
    assert all(node["error"] is None and node["durationMs"] >= 0 for node in created_log)

    response = await client.get(f"/v1/webhooks/{subscription_id}/deliveries", headers=key.headers)
    items = response.json()["data"]["items"]
    assert response.status_code == 200
    rest_created = [item for item in items if item["event"] == "order.created"]
    assert [(item["attempt"], item["response_status"]) for item in rest_created] == [(3, 200), (2, 500), (1, 500)]
    assert {item["delivery_id"] for item in rest_created} == {created[0].delivery}
    assert all(REST_TIMESTAMP.match(item["created_at"]) for item in items)


async def test_a_rest_subscription_gets_stock_low_and_cancelled_events(app, gql, client, session, shop):
    store, key, _product = shop
    scarce = await create_product(session, store, name="Burnous", price=9000)  # 50 in stock, alert at 5
    await session.commit()
    async with receiver() as hooks, draining_worker(app) as worker:
        response = await client.post(
            "/v1/webhooks",
            json={"url": hooks.url, "events": ["product.stock_low", "order.cancelled"]},
            headers={**key.headers, "Idempotency-Key": f"subscribe-{store.id}"},
        )
        assert response.status_code == 201, response.text
        subscription_id, secret = response.json()["data"]["id"], response.json()["data"]["secret"]
        order = await place_order(gql, key, scarce, quantity=46)
        await worker.run()
        cancelled = await client.patch(
            f"/v1/orders/{order['id']}",
            json={"status": "cancelled"},
            headers={**key.headers, "Idempotency-Key": f"cancel-{order['id']}"},
        )
        assert cancelled.status_code == 200, cancelled.text
        await worker.run()

    assert [request.event for request in hooks.requests] == ["product.stock_low", "order.cancelled"]
    assert all(seed_004_status(secret, request) == 200 for request in hooks.requests)
    stock_low, cancelled_event = (request.json()["data"] for request in hooks.requests)
    assert stock_low == {
        "id": scarce.id,
        "name": "Burnous",
        "sku": scarce.sku,
        "stock_quantity": 4,
        "low_stock_alert": 5,
    }
    assert (cancelled_event["order_number"], cancelled_event["status"]) == (order["orderNumber"], "cancelled")
    assert [row.succeeded for row in await attempts_of(app, subscription_id)] == [True, True]


async def test_only_the_events_a_subscription_names_are_sent_to_it(app, gql, shop):
    _store, key, product = shop
    async with receiver() as confirmed_only, receiver() as everything, draining_worker(app) as worker:
        await subscribe(gql, key, confirmed_only.url, ["order.confirmed"])
        await subscribe(gql, key, everything.url, ["order.created", "order.confirmed", "order.shipped"])
        order = await place_order(gql, key, product)
        await set_status(gql, key, order["id"], "CONFIRMED")
        await set_status(gql, key, order["id"], "SHIPPED")

        await worker.run()

    assert [request.event for request in confirmed_only.requests] == ["order.confirmed"]
    assert [request.event for request in everything.requests] == ["order.created", "order.confirmed", "order.shipped"]
    # One event, two endpoints: two deliveries, each with its own id.
    assert confirmed_only.requests[0].delivery != everything.requests[1].delivery
    assert confirmed_only.requests[0].body == everything.requests[1].body

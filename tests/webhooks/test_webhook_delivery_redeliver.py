"""Sending a logged delivery again (``redeliverWebhook``, POST /v1/webhooks/{id}/redeliver) and turning a
disabled subscription back on (``enableWebhookSubscription``, POST /v1/webhooks/{id}/enable)."""

from __future__ import annotations

import itertools

import pytest

from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from storegraph.platform.timestamps import utcnow
from storegraph.rules.outbox import EventName, record_event
from storegraph.rules.webhooks.signing import delivery_id
from tests.support.factories import create_key, create_store, create_webhook_subscription
from tests.support.mutation_helpers import assert_insufficient_scope, succeeded, user_errors
from tests.webhooks.test_webhook_delivery_support import attempts_of, draining_worker, receiver, seed_004_status

REDELIVER = """
mutation($input: RedeliverWebhookInput!) {
  redeliverWebhook(input: $input) { deliveryId userErrors { field code message } }
}
"""
ENABLE = """
mutation($id: ID!) {
  enableWebhookSubscription(id: $id) {
    webhookSubscription { id isActive disabledReason failingSince }
    userErrors { field code message }
  }
}
"""
_keys = itertools.count(1)


def writing(key, **headers: str) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": f"redeliver-test-{next(_keys)}", **headers}


@pytest.fixture
async def delivered(app, session):
    """A store whose subscription got one order.created delivery (200), with the receiver still up."""
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    async with receiver() as hooks, draining_worker(app) as worker:
        subscription = await create_webhook_subscription(session, store, url=hooks.url, events=["order.created"])
        await record_event(session, store.id, EventName.ORDER_CREATED, {"id": 7, "order_number": "ORD-7"})
        await session.commit()
        await worker.run()
        assert len(hooks.requests) == 1
        yield store, key, subscription, hooks, worker


async def test_redelivering_sends_the_same_event_under_the_same_delivery_id(app, gql, delivered):
    _store, key, subscription, hooks, worker = delivered
    [first] = hooks.requests

    payload = await gql.query(REDELIVER, {"input": {"deliveryId": first.delivery}}, headers=key.headers)
    await worker.run()

    assert succeeded(payload, "redeliverWebhook")["deliveryId"] == first.delivery
    assert len(hooks.requests) == 2
    again = hooks.requests[1]
    assert (again.delivery, again.body, again.event) == (first.delivery, first.body, "order.created")
    assert first.delivery == delivery_id(first.json()["id"], subscription.id)
    assert seed_004_status(subscription.secret, again) == 200
    log = await attempts_of(app, subscription.id)
    assert [(row.attempt, row.succeeded, row.delivery_id) for row in log] == [
        (1, True, first.delivery),
        (2, True, first.delivery),
    ]


async def test_rest_redelivers_with_202_once_per_idempotency_key(app, client, delivered):
    _store, key, subscription, hooks, worker = delivered
    headers = writing(key)
    body = {"delivery_id": hooks.requests[0].delivery}

    response = await client.post(f"/v1/webhooks/{subscription.id}/redeliver", json=body, headers=headers)
    replay = await client.post(f"/v1/webhooks/{subscription.id}/redeliver", json=body, headers=headers)

    assert response.status_code == 202, response.text
    assert response.json()["data"] == {"delivery_id": hooks.requests[0].delivery}
    assert replay.headers["idempotent-replayed"] == "true"
    assert await worker.queue.pending() == 1
    await worker.run()
    assert len(hooks.requests) == 2


async def test_a_delivery_of_another_subscription_or_store_is_not_found(app, client, gql, session, delivered):
    store, key, subscription, hooks, worker = delivered
    sibling = await create_webhook_subscription(session, store, url=hooks.url)
    stranger = await create_store(session)
    stranger_key = await create_key(session, stranger)
    await session.commit()
    logged = hooks.requests[0].delivery

    wrong_path = await client.post(
        f"/v1/webhooks/{sibling.id}/redeliver", json={"delivery_id": logged}, headers=writing(key)
    )
    unknown_id = {"delivery_id": "dlv_000000000000000000000000"}
    unknown = await client.post(f"/v1/webhooks/{subscription.id}/redeliver", json=unknown_id, headers=writing(key))
    foreign = await gql.query(REDELIVER, {"input": {"deliveryId": logged}}, headers=stranger_key.headers)

    assert (wrong_path.status_code, wrong_path.json()["error"]["code"]) == (404, "not_found")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    assert user_errors(foreign, "redeliverWebhook") == [("deliveryId", "not_found")]
    assert await worker.queue.pending() == 0


async def test_redelivering_on_a_subscription_the_store_lacks_names_the_subscription(client, gql, session):
    # It used to name the delivery: a client read "Webhook delivery ... not found" about a path that named nothing,
    # and a 404 could not tell an unknown subscription from an unknown delivery.
    store = await create_store(session)
    key = await create_key(session, store)
    foreign = await create_webhook_subscription(session, await create_store(session))
    await session.commit()

    unknown = await client.post("/v1/webhooks/999999999/redeliver", json={"delivery_id": "dlv_x"}, headers=writing(key))
    stranger = await client.post(
        f"/v1/webhooks/{foreign.id}/redeliver", json={"delivery_id": "dlv_x"}, headers=writing(key)
    )
    graphql = await gql.query(
        REDELIVER, {"input": {"deliveryId": "dlv_x", "subscriptionId": str(foreign.id)}}, headers=key.headers
    )

    for response, subscription_id in ((unknown, 999999999), (stranger, foreign.id)):
        assert response.status_code == 404, response.text
        error = response.json()["error"]
        assert error["message"] == f"Webhook subscription with ID {subscription_id} not found"
        assert [detail["field"] for detail in error["details"]] == ["id"]
    assert user_errors(graphql, "redeliverWebhook") == [("subscriptionId", "not_found")]


async def test_a_disabled_subscription_must_be_enabled_before_redelivering(app, client, gql, session, delivered):
    _store, key, subscription, hooks, worker = delivered
    subscription.is_active = False
    subscription.disabled_reason = "Disabled for the test."
    subscription.failing_since = utcnow()
    await session.commit()
    logged = hooks.requests[0].delivery

    refused = await gql.query(REDELIVER, {"input": {"deliveryId": logged}}, headers=key.headers)
    rest = await client.post(
        f"/v1/webhooks/{subscription.id}/redeliver", json={"delivery_id": logged}, headers=writing(key)
    )

    assert user_errors(refused, "redeliverWebhook") == [("deliveryId", "subscription_disabled")]
    assert rest.status_code == 422
    assert rest.json()["error"]["code"] == "validation_error"
    assert rest.json()["error"]["details"][0]["code"] == "subscription_disabled"
    assert await worker.queue.pending() == 0

    enabled = succeeded(
        await gql.query(ENABLE, {"id": str(subscription.id)}, headers=key.headers), "enableWebhookSubscription"
    )
    assert enabled["webhookSubscription"] == {
        "id": str(subscription.id),
        "isActive": True,
        "disabledReason": None,
        "failingSince": None,
    }
    succeeded(await gql.query(REDELIVER, {"input": {"deliveryId": logged}}, headers=key.headers), "redeliverWebhook")
    await worker.run()
    assert len(hooks.requests) == 2


async def test_rest_enables_a_disabled_subscription(client, session):
    store = await create_store(session)
    key = await create_key(session, store)
    subscription = await create_webhook_subscription(session, store)
    subscription.is_active = False
    subscription.disabled_reason = "Disabled for the test."
    await session.commit()

    response = await client.post(f"/v1/webhooks/{subscription.id}/enable", headers=writing(key))
    unknown = await client.post("/v1/webhooks/999999999/enable", headers=writing(key))

    assert response.status_code == 200, response.text
    assert (response.json()["data"]["is_active"], response.json()["data"]["disabled_reason"]) == (True, None)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "delivery_id", "blank"),
        ({"delivery_id": "dlv_" + "0" * 40}, "delivery_id", "too_long"),
        ({"delivery_id": 12}, "delivery_id", "invalid_type"),
        ({"delivery_id": "dlv_1", "extra": True}, "extra", "unknown_field"),
    ],
)
async def test_rest_refuses_a_malformed_redelivery_body(client, session, body, field, code):
    store = await create_store(session)
    key = await create_key(session, store)
    subscription = await create_webhook_subscription(session, store)
    await session.commit()

    response = await client.post(f"/v1/webhooks/{subscription.id}/redeliver", json=body, headers=writing(key))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert (response.json()["error"]["details"][0]["field"], response.json()["error"]["details"][0]["code"]) == (
        field,
        code,
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"deliveryId": "  "}, [("deliveryId", "blank")]),
        ({"deliveryId": "dlv_\x00"}, [("deliveryId", "invalid")]),
        ({"deliveryId": "dlv_1", "subscriptionId": "x"}, [("subscriptionId", "invalid")]),
    ],
)
async def test_graphql_refuses_a_bad_redelivery_input(gql, session, given, expected):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    payload = await gql.query(REDELIVER, {"input": given}, headers=key.headers)

    assert user_errors(payload, "redeliverWebhook") == expected


async def test_redelivering_and_enabling_need_webhooks_write(client, gql, session):
    store = await create_store(session)
    key = await create_key(session, store, scopes=tuple(s for s in ALL_SCOPES if s is not Scope.WEBHOOKS_WRITE))
    subscription = await create_webhook_subscription(session, store)
    await session.commit()

    redeliver = await gql.query(REDELIVER, {"input": {"deliveryId": "dlv_1"}}, headers=key.headers)
    enable = await gql.query(ENABLE, {"id": str(subscription.id)}, headers=key.headers)
    rest = await client.post(
        f"/v1/webhooks/{subscription.id}/redeliver", json={"delivery_id": "dlv_1"}, headers=writing(key)
    )

    assert_insufficient_scope(redeliver, "redeliverWebhook", "webhooks:write")
    assert_insufficient_scope(enable, "enableWebhookSubscription", "webhooks:write")
    assert (rest.status_code, rest.json()["error"]["code"]) == (403, "insufficient_scope")

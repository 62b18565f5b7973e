"""What a delivery does when the endpoint does not simply answer 2xx: which failures are retried, the target guard,
the endpoint's health (failing_since, disabling after a day), the plan's webhooks quota, and subscriptions deleted
or disabled while deliveries are pending. Every attempt is logged, sent or not."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from db.models import Store, WebhookSubscription
from storegraph.platform.limits import MemoryRateLimiter
from storegraph.platform.limits.plans import Plan
from storegraph.platform.timestamps import utcnow
from storegraph.rules.outbox import EventName, record_event
from storegraph.rules.webhooks.deliver import QUOTA_EXCEEDED
from storegraph.rules.webhooks.dispatch import dispatch_outbox
from storegraph.rules.webhooks.schedule import MAX_ATTEMPTS, RETRY_DELAYS
from tests.support.factories import create_key, create_store, create_webhook_subscription
from tests.support.mutation_helpers import succeeded
from tests.webhooks.test_webhook_delivery_support import (
    Answer,
    Receiver,
    attempts_of,
    draining_worker,
    receiver,
    subscription_row,
)

ORDER = {"id": 1, "order_number": "ORD-1-20260101-ABCD", "status": "pending", "customer_phone": "+213555000000"}


async def subscribed(session, store: Store, url: str, **fields) -> WebhookSubscription:
    subscription = await create_webhook_subscription(session, store, url=url, events=["order.created"])
    for name, value in fields.items():
        setattr(subscription, name, value)
    await session.commit()
    return subscription


async def order_created(session, store: Store, count: int = 1) -> None:
    for number in range(count):
        await record_event(session, store.id, EventName.ORDER_CREATED, {**ORDER, "id": number + 1})
    await session.commit()


@pytest.fixture
async def store(session) -> Store:
    store = await create_store(session)
    await session.commit()
    return store


@pytest.mark.parametrize("status", [410, 400, 404, 422])
async def test_a_client_error_is_not_retried(app, session, store, status):
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(Answer(status, b"gone"))
        subscription = await subscribed(session, store, hooks.url)
        await order_created(session, store)

        await worker.run()

    assert len(hooks.requests) == 1
    [attempt] = await attempts_of(app, subscription.id)
    assert (attempt.attempt, attempt.response_status, attempt.succeeded) == (1, status, False)
    assert attempt.response_excerpt == "gone"
    assert worker.delays == []
    assert await worker.queue.pending() == 0
    row = await subscription_row(app, subscription.id)
    assert row.is_active
    assert row.failing_since is not None


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
async def test_a_server_error_a_request_timeout_and_too_many_requests_are_retried(app, session, store, status):
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(status)
        subscription = await subscribed(session, store, hooks.url)
        await order_created(session, store)

        await worker.run()

    assert [row.response_status for row in await attempts_of(app, subscription.id)] == [status, 200]
    assert len(worker.delays) == 1


async def test_a_timeout_is_logged_without_a_status_and_retried(app, session, store):
    async with receiver() as hooks, draining_worker(app, webhook_timeout_seconds=0.3) as worker:
        hooks.script(Answer(200, delay=1.0))
        subscription = await subscribed(session, store, hooks.url)
        await order_created(session, store)

        await worker.run()

    first, second = await attempts_of(app, subscription.id)
    assert (first.response_status, first.succeeded, first.error) == (None, False, "timed out after 0.3 s")
    assert (first.duration_ms or 0) >= 300
    assert (second.response_status, second.succeeded, second.attempt) == (200, True, 2)
    assert len(hooks.requests) == 2


async def test_a_redirect_is_a_failure_and_is_not_followed(app, session, store):
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(Answer(302, b"", headers={"Location": "/elsewhere"}))
        subscription = await subscribed(session, store, hooks.url)
        await order_created(session, store)

        await worker.run()

    assert [request.path for request in hooks.requests] == ["/hooks/dz", "/hooks/dz"]
    first, second = await attempts_of(app, subscription.id)
    assert (first.response_status, first.succeeded) == (302, False)
    assert second.succeeded


async def test_retry_after_of_a_429_lengthens_the_wait(app, session, store):
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(Answer(429, headers={"Retry-After": "600"}))
        await subscribed(session, store, hooks.url)
        await order_created(session, store)

        await worker.run()

    assert worker.delays == [600]


async def test_a_private_target_is_refused_when_the_setting_is_off(app, session, store):
    async with receiver() as hooks, draining_worker(app, webhook_allow_private_targets=False) as worker:
        by_address = await subscribed(session, store, hooks.url)
        by_name = await subscribed(session, store, f"http://localhost:{hooks.port}/hooks/dz")
        await order_created(session, store)

        await worker.run()

    assert hooks.requests == []
    assert worker.delays == []
    [refused] = await attempts_of(app, by_address.id)
    assert (refused.response_status, refused.succeeded) == (None, False)
    assert refused.error == "target refused: 127.0.0.1 is a loopback address"
    [refused_name] = await attempts_of(app, by_name.id)
    assert str(refused_name.error).startswith("target refused: localhost resolves to ")
    assert str(refused_name.error).endswith("a loopback address")


async def test_an_endpoint_that_never_answers_uses_up_the_schedule_and_is_disabled(app, session, store):
    with socket.socket() as probe:  # a port with nothing listening: every connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with draining_worker(app) as worker:
        subscription = await subscribed(session, store, f"http://127.0.0.1:{port}/hooks")
        await order_created(session, store)

        await worker.run()

    attempts = await attempts_of(app, subscription.id)
    assert [row.attempt for row in attempts] == list(range(1, MAX_ATTEMPTS + 1))
    assert all(row.response_status is None and str(row.error).startswith("could not connect") for row in attempts)
    assert len(worker.delays) == len(RETRY_DELAYS)
    row = await subscription_row(app, subscription.id)
    assert row.is_active is False
    assert f"failed all {MAX_ATTEMPTS} attempts" in str(row.disabled_reason)
    assert await worker.queue.pending() == 0


async def test_an_endpoint_failing_for_a_day_is_disabled_at_its_next_failure(app, gql, client, session, store):
    key = await create_key(session, store)
    await session.commit()
    since = (utcnow() - timedelta(hours=25)).replace(microsecond=0)
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(500, 500)
        subscription = await subscribed(session, store, hooks.url, failing_since=since)
        await order_created(session, store, count=2)

        await worker.run()

    # The first failure disables it: no retry, and the second event is not sent at all.
    assert len(hooks.requests) == 1
    assert worker.delays == []
    assert await worker.queue.pending() == 0
    row = await subscription_row(app, subscription.id)
    assert row.is_active is False
    assert row.failing_since == since
    assert f"failing since {since:%Y-%m-%d %H:%M:%S} UTC" in str(row.disabled_reason)
    listed = await gql.query(
        "{ webhookSubscriptions(first: 5) { nodes { id isActive disabledReason failingSince } } }", headers=key.headers
    )
    [node] = listed["data"]["webhookSubscriptions"]["nodes"]
    assert (node["isActive"], node["disabledReason"]) == (False, row.disabled_reason)
    assert node["failingSince"].startswith(f"{since:%Y-%m-%dT%H:%M:%S}")
    rest = (await client.get("/v1/webhooks", headers=key.headers)).json()["data"]["items"]
    assert (rest[0]["is_active"], rest[0]["disabled_reason"]) == (False, row.disabled_reason)


async def test_failing_since_is_set_by_the_first_failure_and_cleared_by_a_success(app, session, store):
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(500)
        subscription = await subscribed(session, store, hooks.url)
        await order_created(session, store)
        await worker.run_once()  # the dispatch and the first attempt
        failing = await subscription_row(app, subscription.id)

        await worker.run()

    assert failing.failing_since is not None
    assert failing.is_active
    healthy = await subscription_row(app, subscription.id)
    assert (healthy.failing_since, healthy.is_active, healthy.disabled_reason) == (None, True, None)


async def test_the_webhooks_quota_stops_deliveries_and_retries_do_not_draw_on_it(app, session):
    store = await create_store(session, plan="two_webhooks")
    await session.commit()
    unlimited = {"requests_per_minute": None, "requests_per_month": None, "signups_per_month": None}
    plans = {"two_webhooks": Plan(**unlimited, webhooks_per_month=2)}
    limiter = MemoryRateLimiter()
    async with receiver() as hooks, draining_worker(app, plans=plans, limiter=limiter) as worker:
        hooks.script(500)  # the first event needs two attempts: one delivery, one unit of quota
        subscription = await subscribed(session, store, hooks.url)
        await order_created(session, store, count=3)

        await worker.run()

    assert sorted(request.json()["data"]["id"] for request in hooks.requests) == [1, 1, 2]
    attempts = await attempts_of(app, subscription.id)
    [refused] = [row for row in attempts if row.error is not None]
    assert (refused.attempt, refused.response_status, refused.succeeded) == (1, None, False)
    assert refused.error == QUOTA_EXCEEDED
    assert len(attempts) == 4
    assert (await limiter.store_usage(store.id))["webhooks"] == 2
    row = await subscription_row(app, subscription.id)
    assert (row.is_active, row.failing_since) == (True, None)  # being over quota is not the endpoint's failure


async def test_deleting_a_subscription_stops_its_pending_deliveries(app, gql, session, store):
    key = await create_key(session, store)
    await session.commit()
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(500)
        subscription = await subscribed(session, store, hooks.url)
        await order_created(session, store, count=2)
        await worker.run_once()  # the first event failed once and waits for its retry; the second is queued
        assert len(hooks.requests) == 2
        deleted = await gql.query(
            "mutation($id: ID!) { deleteWebhookSubscription(id: $id) { deletedId userErrors { code } } }",
            {"id": str(subscription.id)},
            headers=key.headers,
        )
        succeeded(deleted, "deleteWebhookSubscription")

        await worker.run()

    assert len(hooks.requests) == 2
    assert await worker.queue.pending() == 0


async def test_a_disabled_subscription_gets_nothing_new_and_its_pending_deliveries_are_dropped(app, session, store):
    async with receiver() as hooks, draining_worker(app) as worker:
        subscription = await subscribed(session, store, hooks.url)
        await order_created(session, store)
        assert await dispatch_outbox(worker.context) == 1  # its delivery is queued
        subscription.is_active = False
        subscription.disabled_reason = "off for the test"
        await session.commit()
        await order_created(session, store)

        await worker.run()

    assert hooks.requests == []
    assert await attempts_of(app, subscription.id) == []
    assert await worker.queue.pending() == 0


async def test_the_answer_is_logged_as_its_first_kilobyte_of_text(app, session, store):
    async with receiver() as hooks, draining_worker(app) as worker:
        hooks.script(Answer(200, b"\x00\xff" + b"x" * 5000))
        subscription = await subscribed(session, store, hooks.url)
        await order_created(session, store)

        await worker.run()

    [attempt] = await attempts_of(app, subscription.id)
    excerpt = str(attempt.response_excerpt)
    assert len(excerpt) == 1024
    assert excerpt.startswith("\ufffd\ufffdxxx")


def test_the_receiver_helper_answers_scripts_per_event_first():
    hooks = Receiver()
    hooks.script(500, event="order.created")
    hooks.script(404)
    assert hooks._answer("order.shipped").status == 404
    assert hooks._answer("order.created").status == 500
    assert hooks._answer("order.created").status == 200
    hooks._server.server_close()

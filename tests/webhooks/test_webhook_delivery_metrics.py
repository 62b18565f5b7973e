"""The webhook deliveries metric counts each attempt's outcome: retrying, then delivered."""

from __future__ import annotations

import dataclasses

from storegraph.platform.observability.metrics import AppMetrics
from tests.support.factories import create_key, create_product, create_store
from tests.webhooks.test_webhook_delivery import place_order, subscribe
from tests.webhooks.test_webhook_delivery_support import Answer, draining_worker, receiver


def outcomes(metrics: AppMetrics) -> dict[str, float]:
    names = ("delivered", "retrying", "failed", "over_quota", "skipped")
    samples = {
        name: metrics.registry.get_sample_value("storegraph_webhook_deliveries_total", {"outcome": name})
        for name in names
    }
    return {name: value for name, value in samples.items() if value}


async def test_a_delivery_that_fails_twice_then_succeeds_counts_two_retries_and_one_delivery(app, gql, session):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store, name="Robe kabyle", price=2500)
    await session.commit()
    metrics = AppMetrics()
    async with receiver() as hooks, draining_worker(app) as worker:
        worker.context = dataclasses.replace(worker.context, metrics=metrics)
        hooks.script(Answer(500, b"down"), Answer(503, b"still down"), event="order.created")
        await subscribe(gql, key, hooks.url, ["order.created"])
        await place_order(gql, key, product)

        await worker.run()

    assert outcomes(metrics) == {"retrying": 2, "delivered": 1}

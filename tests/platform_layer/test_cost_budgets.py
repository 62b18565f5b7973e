"""Query-cost buckets per key: in this process by default, in Redis across processes, and the HTTP answer when a
bucket refuses an operation (429 with Retry-After)."""

from __future__ import annotations

import asyncio

import httpx

from storegraph.app import create_app
from storegraph.platform.limits.cost_budget import MemoryCostBudgets, RedisCostBudgets
from tests.conftest import app_settings, services_of
from tests.support.factories import create_customer, create_key, create_store


def test_the_memory_registry_keeps_one_bucket_per_key():
    budgets = MemoryCostBudgets(100, 10)

    assert budgets.for_key(1) is budgets.for_key(1)
    assert budgets.for_key(1) is not budgets.for_key(2)


async def test_a_redis_charge_takes_the_points_and_a_refund_gives_them_back(redis, prefix):
    bucket = RedisCostBudgets(redis, 100, 0, prefix=prefix).for_key(7)

    charge = await bucket.charge(60)
    refunded = await bucket.refund(20)

    assert charge.accepted
    assert charge.status.currently_available == 40
    assert refunded.currently_available == 60


async def test_a_redis_charge_beyond_the_level_takes_nothing(redis, prefix):
    bucket = RedisCostBudgets(redis, 100, 0, prefix=prefix).for_key(7)
    await bucket.charge(70)

    refused = await bucket.charge(31)

    assert not refused.accepted
    assert refused.status.currently_available == 30


async def test_a_redis_refund_never_fills_above_the_maximum(redis, prefix):
    bucket = RedisCostBudgets(redis, 100, 0, prefix=prefix).for_key(7)
    await bucket.charge(10)

    status = await bucket.refund(500)

    assert status.currently_available == 100


async def test_a_redis_bucket_refills_at_its_restore_rate(redis, prefix):
    bucket = RedisCostBudgets(redis, 100, 1000, prefix=prefix).for_key(7)
    await bucket.charge(100)

    await asyncio.sleep(0.05)  # 1000 points a second: about 50 back, at most the maximum
    status = (await bucket.charge(0)).status

    assert 20 <= status.currently_available <= 100


async def test_two_processes_draw_from_one_redis_bucket_exactly(redis, prefix):
    # Two registries stand for two API processes; 40 concurrent charges of 10 from a bucket of 100 that does
    # not refill: exactly 10 are accepted.
    processes = [RedisCostBudgets(redis, 100, 0, prefix=prefix) for _ in range(2)]

    charges = await asyncio.gather(*(processes[n % 2].for_key(7).charge(10) for n in range(40)))

    assert sum(charge.accepted for charge in charges) == 10
    assert (await processes[0].for_key(7).charge(0)).status.currently_available == 0


async def test_buckets_of_two_keys_are_independent(redis, prefix):
    budgets = RedisCostBudgets(redis, 100, 0, prefix=prefix)
    await budgets.for_key(1).charge(100)

    assert (await budgets.for_key(2).charge(100)).accepted


async def test_an_operation_the_bucket_refuses_is_a_429_with_retry_after(database_url, session):
    store = await create_store(session)
    key = await create_key(session, store)
    for _ in range(60):
        await create_customer(session, store)
    await session.commit()
    application = create_app(app_settings(database_url, max_query_cost=100, cost_bucket_size=100, cost_restore_rate=10))
    query = {"query": "{ customers(first: 60) { nodes { id } } }"}  # costs 61, and 61 once it ran
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
            first = await http.post("/graphql", json=query, headers=key.headers)
            second = await http.post("/graphql", json=query, headers=key.headers)
    finally:
        await services_of(application).engine.dispose()

    assert first.status_code == 200
    assert second.status_code == 429
    [error] = second.json()["errors"]
    assert error["extensions"]["code"] == "throttled"
    assert second.headers["retry-after"] == str(error["extensions"]["retry_after"])
    assert int(second.headers["retry-after"]) >= 1
    assert second.json()["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 100

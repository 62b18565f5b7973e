"""The embedded default's limiter: decisions in memory, the day and month counts (requests, endpoints, the signups
and webhooks quotas) written out in batches and read back by the next process."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

import db.queries.usage as usage_queries
from db.models import UsageCounter
from db.queries.usage import DatabaseRateLimiter
from db.session import create_engine, write_transaction
from storegraph.platform.limits.plans import Plan
from tests.conftest import engine_statement_counter

PLAN = Plan(requests_per_minute=1000, requests_per_month=10_000, signups_per_month=20, webhooks_per_month=None)


@asynccontextmanager
async def process(
    database_url: str, flush_seconds: float = 1.0
) -> AsyncIterator[tuple[AsyncEngine, DatabaseRateLimiter]]:
    """A limiter on an engine of its own, as an API process has one (its lifespan starts and stops it)."""
    engine = create_engine(database_url, pool_size=25)
    limiter = DatabaseRateLimiter(engine, flush_seconds=flush_seconds)
    try:
        yield engine, limiter
    finally:
        await engine.dispose()


@pytest.fixture
def ids() -> tuple[int, int]:
    """A store id and a key pk no other test counts under."""
    return secrets.randbelow(2**40) + 2**41, secrets.randbelow(2**40) + 2**41


async def test_the_months_and_days_counts_survive_a_restart(database_url, ids):
    store_id, key_pk = ids
    async with process(database_url) as (_engine, limiter):
        await limiter.start()
        for _ in range(3):
            await limiter.hit(store_id, key_pk, PLAN)
            await limiter.record_endpoint(key_pk, "GET /v1/customers")
        await limiter.consume(store_id, "signups", PLAN, 2)
        await limiter.stop()

    async with process(database_url) as (_engine, limiter):
        await limiter.hit(store_id, key_pk, PLAN)
        usage = await limiter.usage(key_pk)
        endpoints = await limiter.endpoint_usage(key_pk)
        store = await limiter.store_usage(store_id)

    assert usage == {"minute": 1, "day": 4, "month": 4}
    assert endpoints == {"GET /v1/customers": {"minute": 0, "day": 3, "month": 3}}
    assert store == {"requests": 4, "public_requests": 0, "signups": 2, "webhooks": 0}


async def test_deciding_requests_runs_no_statement_once_the_counts_are_read(database_url, ids):
    store_id, key_pk = ids
    async with process(database_url) as (engine, limiter):
        await limiter.start()
        with engine_statement_counter(engine)() as counter:
            for _ in range(20):
                await limiter.hit(store_id, key_pk, PLAN)
                await limiter.record_endpoint(key_pk, "GET /v1/orders")
            await limiter.usage(key_pk)
            await limiter.store_usage(store_id)
        await limiter.stop()

    assert counter.statements == []


async def test_a_flush_adds_to_what_another_process_wrote(database_url, ids):
    store_id, key_pk = ids
    async with process(database_url) as (_one, first), process(database_url) as (_other, second):
        for limiter in (first, second):
            await limiter.start()
        await first.hit(store_id, key_pk, PLAN)
        await second.hit(store_id, key_pk, PLAN)
        await second.hit(store_id, key_pk, PLAN)
        await first.stop()
        await second.stop()

    async with process(database_url) as (_engine, limiter):
        assert (await limiter.store_usage(store_id))["requests"] == 3


async def test_the_counts_are_written_every_flush_interval_without_a_shutdown(database_url, ids):
    store_id, key_pk = ids
    async with process(database_url, flush_seconds=0.05) as (_engine, limiter):
        await limiter.start()
        await limiter.hit(store_id, key_pk, PLAN)
        await asyncio.sleep(0.5)
        async with process(database_url) as (_other, restarted):
            month = (await restarted.usage(key_pk))["month"]
        await limiter.stop()

    assert month == 1


async def test_counts_that_could_not_be_written_wait_for_the_next_flush(database_url, ids, monkeypatch):
    store_id, key_pk = ids

    @asynccontextmanager
    async def unreachable(_engine: AsyncEngine) -> AsyncIterator[None]:
        raise ConnectionError("the database went away")
        yield

    async with process(database_url) as (_engine, limiter):
        await limiter.hit(store_id, key_pk, PLAN)
        monkeypatch.setattr(usage_queries, "write_transaction", unreachable)
        with pytest.raises(ConnectionError):
            await limiter.flush()
        monkeypatch.setattr(usage_queries, "write_transaction", write_transaction)
        await limiter.flush()

    async with process(database_url) as (_engine, limiter):
        assert (await limiter.usage(key_pk))["month"] == 1


async def test_a_quota_drawn_on_before_a_restart_is_drawn_on_after_it(database_url, ids):
    store_id, _key_pk = ids
    async with process(database_url) as (_engine, limiter):
        await limiter.start()
        taken = [await limiter.consume(store_id, "signups", PLAN) for _ in range(15)]
        await limiter.stop()

    async with process(database_url) as (_engine, limiter):
        after = [await limiter.consume(store_id, "signups", PLAN) for _ in range(10)]

    assert taken.count(True) == 15
    assert after.count(True) == 5


async def test_drawing_on_a_quota_runs_no_statement(database_url, ids):
    store_id, _key_pk = ids
    async with process(database_url) as (engine, limiter):
        await limiter.start()
        with engine_statement_counter(engine)() as counter:
            await limiter.consume(store_id, "signups", PLAN)
        await limiter.stop()

    assert counter.statements == []  # a job calls it inside its own write transaction


async def test_an_amount_over_what_is_left_takes_nothing(database_url, ids):
    store_id, _key_pk = ids
    async with process(database_url) as (_engine, limiter):
        assert await limiter.consume(store_id, "signups", PLAN, 15)
        refused = await limiter.consume(store_id, "signups", PLAN, 6)
        used = (await limiter.store_usage(store_id))["signups"]

    assert (refused, used) == (False, 15)


async def test_counters_of_periods_long_gone_are_deleted(database_url, ids):
    store_id, _key_pk = ids
    old = {"owner": "store", "owner_id": store_id, "counter": "requests", "period": "month:202001", "count": 5}
    async with process(database_url) as (engine, limiter):
        async with write_transaction(engine) as connection:
            await connection.execute(insert(UsageCounter), [{**old, "expires_at": datetime(2020, 3, 2)}])
        await limiter.flush()
        async with engine.connect() as connection:
            left = (await connection.execute(select(UsageCounter).where(UsageCounter.owner_id == store_id))).all()

    assert left == []

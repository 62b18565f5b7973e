"""Per-key rate limits (sliding 60-second window), per-store monthly quotas and usage counters: each rule on the
in-process limiter and on the real Redis, then end to end through the app's middleware. The store quota shared by
keys, the endpoint counters and the signups/webhooks quotas are in tests/platform_layer/test_usage_limits.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import orjson
import pytest

from storegraph.platform.admission import SequentialAdmission
from storegraph.platform.admission.middleware import AdmissionMiddleware
from storegraph.platform.errors import RateLimited
from storegraph.platform.http.responses import error_body
from storegraph.platform.idempotency import MemoryIdempotencyStore
from storegraph.platform.limits import Decision, MemoryRateLimiter, RateLimiter, RedisRateLimiter, Traffic
from storegraph.platform.limits.decision import periods_at
from storegraph.platform.limits.memory import CountKey
from storegraph.platform.limits.plans import DEFAULT_PLANS, Plan
from tests.conftest import services_of
from tests.support.factories import create_key, create_store
from tests.support.idempotency_support import SEALER
from tests.support.limiter_support import BACKENDS, limiter_backend

FREE = DEFAULT_PLANS["free"]
# The store of the keys below: the window is per key, the quota per store.
STORE_ID = 1
# Mid-month, so that no test crosses a calendar period by accident.
T0 = datetime(2026, 11, 15, 12, 0, 0, tzinfo=UTC).timestamp()
VIEWER = {"query": "{ viewer { keyId } }"}


def plan(per_minute: int | None = 30, per_month: int | None = 10_000) -> Plan:
    return Plan(
        requests_per_minute=per_minute, requests_per_month=per_month, signups_per_month=None, webhooks_per_month=None
    )


@pytest.fixture(params=BACKENDS)
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    async with limiter_backend(request.param) as made:
        yield made


async def hits(limiter: RateLimiter, count: int, limits: Plan, now: float, key_pk: int = 1) -> list[Decision]:
    return [await limiter.hit(STORE_ID, key_pk, limits, now=now) for _ in range(count)]


async def test_the_window_admits_the_plans_limit_and_counts_down(limiter):
    decisions = await hits(limiter, 30, plan(), T0)

    assert all(decision.allowed for decision in decisions)
    assert [decision.remaining for decision in decisions] == list(range(29, -1, -1))
    assert decisions[-1].limit == 30


async def test_the_request_over_the_limit_is_refused_with_retry_after(limiter):
    await hits(limiter, 30, plan(), T0)

    refused = await limiter.hit(STORE_ID, 1, plan(), now=T0 + 20)

    assert not refused.allowed
    assert refused.refused_by == "rate"
    assert refused.retry_after == 40
    assert refused.remaining == 0
    assert refused.reset == T0 + 60


async def test_a_slot_frees_when_the_oldest_request_leaves_the_window(limiter):
    await limiter.hit(STORE_ID, 1, plan(), now=T0)
    await hits(limiter, 29, plan(), T0 + 10)

    just_before = await limiter.hit(STORE_ID, 1, plan(), now=T0 + 59.5)
    when_it_leaves = await limiter.hit(STORE_ID, 1, plan(), now=T0 + 60)

    assert not just_before.allowed
    assert when_it_leaves.allowed
    assert when_it_leaves.reset == T0 + 70


async def test_keys_of_one_store_have_separate_windows(limiter):
    await hits(limiter, 30, plan(), T0, key_pk=1)

    other = await limiter.hit(STORE_ID, 2, plan(), now=T0)

    assert other.allowed


async def test_refused_requests_do_not_count_toward_the_quota(limiter):
    await hits(limiter, 30, plan(), T0)
    await hits(limiter, 5, plan(), T0 + 1)  # all refused by the window

    assert (await limiter.store_usage(STORE_ID, now=T0 + 1))["requests"] == 30
    assert (await limiter.usage(1, now=T0 + 1))["month"] == 30


async def test_an_exhausted_quota_refuses_with_quota_until_the_month_ends(limiter):
    small_quota = plan(per_minute=100, per_month=3)
    await hits(limiter, 3, small_quota, T0)

    refused = await limiter.hit(STORE_ID, 1, small_quota, now=T0)

    assert refused.refused_by == "quota"
    assert refused.retry_after == int(datetime(2026, 12, 1, tzinfo=UTC).timestamp() - T0)


async def test_a_quota_refusal_takes_no_slot_of_the_window(limiter):
    small_quota = plan(per_minute=5, per_month=3)
    await hits(limiter, 4, small_quota, T0)

    assert (await limiter.hit(STORE_ID, 1, small_quota, now=T0)).remaining == 2


async def test_the_quota_renews_with_the_calendar_month(limiter):
    small_quota = plan(per_minute=100, per_month=1)
    await limiter.hit(STORE_ID, 1, small_quota, now=T0)

    next_month = await limiter.hit(STORE_ID, 1, small_quota, now=datetime(2026, 12, 1, tzinfo=UTC).timestamp())

    assert next_month.allowed


async def test_a_plan_without_limits_admits_everything_and_reports_no_window(limiter):
    decisions = await hits(limiter, 50, plan(per_minute=None, per_month=None), T0)

    assert all(decision.allowed for decision in decisions)
    assert decisions[-1].limit is None
    assert decisions[-1].reset is None


async def test_usage_counts_allowed_requests_per_minute_day_and_month(limiter):
    await hits(limiter, 2, plan(), T0)
    await hits(limiter, 3, plan(), T0 + 120)

    assert await limiter.usage(1, now=T0 + 120) == {"minute": 3, "day": 5, "month": 5}


async def test_a_hundred_concurrent_hits_on_redis_admit_exactly_the_limit(redis):
    prefix = f"test:{uuid4().hex}:"
    limiter = RedisRateLimiter(redis, prefix=prefix)
    try:
        decisions = await asyncio.gather(*(limiter.hit(STORE_ID, 1, plan(), now=T0) for _ in range(100)))
    finally:
        await redis.delete(*[key async for key in redis.scan_iter(match=f"{prefix}*")])

    assert sum(decision.allowed for decision in decisions) == 30


async def test_every_redis_key_of_the_limiter_expires(redis):
    prefix = f"test:{uuid4().hex}:"
    await RedisRateLimiter(redis, prefix=prefix).hit(STORE_ID, 1, plan())
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    try:
        ttls = [await redis.ttl(key) for key in keys]
    finally:
        await redis.delete(*keys)

    assert len(keys) == 5  # the window, the key's three counters and the store's request counter
    assert all(ttl > 0 for ttl in ttls)


def test_a_rest_refusal_puts_retry_after_in_the_error_envelope():
    scope = {"type": "http", "path": "/v1/products", "state": {"request_id": "req_1"}}

    body = orjson.loads(error_body(scope, RateLimited(30, 12)))

    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["retry_after"] == 12
    assert body["meta"]["request_id"] == "req_1"


async def test_the_middleware_does_not_consult_the_limiter_without_a_principal():
    calls: list[int] = []

    class Recording(MemoryRateLimiter):
        async def hit(
            self, store_id: int, key_pk: int, plan: Plan, now: float | None = None, *, traffic: Traffic = "platform"
        ) -> Decision:
            calls.append(key_pk)
            raise AssertionError("not reached")

    async def inner(_scope: Any, _receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = AdmissionMiddleware(
        inner, SequentialAdmission(Recording(), MemoryIdempotencyStore()), DEFAULT_PLANS, sealer=SEALER
    )
    await middleware({"type": "http", "path": "/healthz", "state": {}}, None, send)  # type: ignore[arg-type]

    assert calls == []
    assert sent[0]["status"] == 204


async def free_key(session):
    store = await create_store(session, plan="free")
    key = await create_key(session, store)
    await session.commit()
    return key


async def test_an_authenticated_response_carries_the_rate_limit_headers(client, session):
    key = await free_key(session)

    response = await client.post("/graphql", json=VIEWER, headers=key.headers)

    assert response.status_code == 200
    assert response.headers["x-ratelimit-limit"] == "30"
    assert response.headers["x-ratelimit-remaining"] == "29"
    assert int(response.headers["x-ratelimit-reset"]) > 0


async def test_the_31st_request_in_a_minute_is_429_with_retry_after(client, session):
    key = await free_key(session)
    for _ in range(30):
        assert (await client.post("/graphql", json=VIEWER, headers=key.headers)).status_code == 200

    response = await client.post("/graphql", json=VIEWER, headers=key.headers)

    error = response.json()["errors"][0]
    assert response.status_code == 429
    assert error["extensions"]["code"] == "rate_limited"
    assert error["extensions"]["retry_after"] == int(response.headers["retry-after"]) >= 1
    assert response.headers["x-ratelimit-remaining"] == "0"


async def test_a_refused_key_does_not_hold_back_another_key(client, session):
    key = await free_key(session)
    other = await free_key(session)
    for _ in range(31):
        await client.post("/graphql", json=VIEWER, headers=key.headers)

    response = await client.post("/graphql", json=VIEWER, headers=other.headers)

    assert response.status_code == 200


async def test_a_401_has_no_rate_limit_headers(client):
    response = await client.post("/graphql", json=VIEWER, headers={"Authorization": "Bearer dzpk_live_nope.x"})

    assert response.status_code == 401
    assert "x-ratelimit-limit" not in response.headers


async def test_the_app_counts_a_keys_requests_in_its_usage(app, client, session):
    key = await free_key(session)
    for _ in range(3):
        await client.post("/graphql", json=VIEWER, headers=key.headers)

    usage = await services_of(app).rate_limiter.usage(key.id)

    assert usage["day"] == 3


async def test_counts_roll_over_each_period_on_its_own_and_take_seeded_counts():
    limiter = MemoryRateLimiter(journal=True)
    periods = periods_at(T0)
    limiter.seed(
        {
            CountKey("key", 1, "requests", "day", periods.day): 10,
            CountKey("store", STORE_ID, "requests", "month", periods.month): 4,
        }
    )
    limits = plan(per_minute=None, per_month=None)

    await hits(limiter, 2, limits, T0)
    limiter.seed({CountKey("key", 1, "requests", "month", periods.month): 7})
    await hits(limiter, 1, limits, T0 + 60)  # the next minute: the day and month go on
    await limiter.record_endpoint(1, "GET /v1/customers", now=T0)
    await limiter.record_endpoint(1, "GET /v1/customers", now=T0 + 86_400)  # the next day

    assert await limiter.usage(1, now=T0 + 60) == {"minute": 1, "day": 13, "month": 10}
    assert (await limiter.store_usage(STORE_ID, now=T0 + 60))["requests"] == 7
    assert await limiter.endpoint_usage(1, now=T0 + 86_400) == {
        "GET /v1/customers": {"minute": 1, "day": 1, "month": 2}
    }
    journal = limiter.take_journal()
    assert journal[CountKey("key", 1, "requests", "day", periods.day)] == 3
    assert journal[CountKey("store", STORE_ID, "requests", "month", periods.month)] == 3
    assert journal[CountKey("key", 1, "endpoint GET /v1/customers", "month", periods.month)] == 2

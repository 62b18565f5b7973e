"""Issue 4's usage half, in the limiter and its middleware: the monthly request quota shared by a store's keys,
the window read without taking a slot, the per-endpoint counters (recorded after the response), and the
signups and webhooks quotas. Every rule runs on the in-process limiter and on the real Redis."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from storegraph.platform.admission import SequentialAdmission
from storegraph.platform.admission.middleware import AdmissionMiddleware
from storegraph.platform.idempotency import MemoryIdempotencyStore
from storegraph.platform.limits import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from storegraph.platform.limits.decision import USAGE_PERIODS, periods_at
from storegraph.platform.limits.headers import set_usage_endpoint
from storegraph.platform.limits.plans import DEFAULT_PLANS, Plan
from tests.support.factories import principal
from tests.support.idempotency_support import SEALER
from tests.support.limiter_support import BACKENDS, limiter_backend

T0 = datetime(2026, 11, 15, 12, 0, 0, tzinfo=UTC).timestamp()
NEXT_MONTH = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
STORE, OTHER_STORE = 7, 8


def plan(
    per_minute: int | None = 100,
    per_month: int | None = 10_000,
    signups: int | None = 5,
    webhooks: int | None = 3,
) -> Plan:
    return Plan(
        requests_per_minute=per_minute,
        requests_per_month=per_month,
        signups_per_month=signups,
        webhooks_per_month=webhooks,
    )


@pytest.fixture(params=BACKENDS)
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    async with limiter_backend(request.param) as made:
        yield made


@pytest.fixture
async def redis_limiter() -> AsyncIterator[RateLimiter]:
    async with limiter_backend("redis") as made:
        yield made


async def allowed(limiter: RateLimiter, store_id: int, key_pk: int, limits: Plan, count: int = 1) -> list[bool]:
    return [(await limiter.hit(store_id, key_pk, limits, now=T0)).allowed for _ in range(count)]


# --- the monthly request quota belongs to the store -------------------------------------------------------------


async def test_the_monthly_quota_is_shared_by_the_keys_of_a_store(limiter):
    small_quota = plan(per_month=3)
    await allowed(limiter, STORE, 1, small_quota, 2)
    await allowed(limiter, STORE, 2, small_quota, 1)

    refused = [await limiter.hit(STORE, key_pk, small_quota, now=T0) for key_pk in (1, 2, 3)]

    assert [decision.refused_by for decision in refused] == ["quota", "quota", "quota"]


async def test_another_store_keeps_its_own_quota(limiter):
    small_quota = plan(per_month=2)
    await allowed(limiter, STORE, 1, small_quota, 2)

    assert await allowed(limiter, OTHER_STORE, 9, small_quota) == [True]


async def test_the_store_counts_the_requests_of_all_its_keys(limiter):
    await allowed(limiter, STORE, 1, plan(), 2)
    await allowed(limiter, STORE, 2, plan(), 3)

    assert (await limiter.store_usage(STORE, now=T0))["requests"] == 5
    assert (await limiter.store_usage(OTHER_STORE, now=T0))["requests"] == 0


async def test_each_key_of_a_store_keeps_its_own_usage_counters(limiter):
    await allowed(limiter, STORE, 1, plan(), 2)
    await allowed(limiter, STORE, 2, plan(), 3)

    assert await limiter.usage(1, now=T0) == {"minute": 2, "day": 2, "month": 2}
    assert await limiter.usage(2, now=T0) == {"minute": 3, "day": 3, "month": 3}


async def test_a_window_refusal_does_not_count_toward_the_stores_quota(limiter):
    await allowed(limiter, STORE, 1, plan(per_minute=2), 5)

    assert (await limiter.store_usage(STORE, now=T0))["requests"] == 2


async def test_concurrent_hits_of_many_keys_of_one_store_on_redis_admit_exactly_the_quota(redis_limiter):
    quota = plan(per_minute=1_000, per_month=37)

    decisions = await asyncio.gather(*(redis_limiter.hit(STORE, n % 5, quota, now=T0) for n in range(100)))

    assert sum(decision.allowed for decision in decisions) == 37
    assert {decision.refused_by for decision in decisions if not decision.allowed} == {"quota"}
    assert (await redis_limiter.store_usage(STORE, now=T0))["requests"] == 37


# --- reading the window takes no slot ---------------------------------------------------------------------------


async def test_peek_reports_the_window_as_the_last_hit_left_it(limiter):
    await limiter.hit(STORE, 1, plan(per_minute=5), now=T0)
    last = await limiter.hit(STORE, 1, plan(per_minute=5), now=T0 + 10)

    state = await limiter.peek(1, plan(per_minute=5), now=T0 + 10)

    assert (state.limit, state.remaining, state.reset) == (5, 3, T0 + 60)
    assert (state.remaining, state.reset) == (last.remaining, last.reset)


async def test_peek_takes_no_slot_of_the_window(limiter):
    for _ in range(10):
        await limiter.peek(1, plan(per_minute=2), now=T0)

    assert await allowed(limiter, STORE, 1, plan(per_minute=2), 3) == [True, True, False]


async def test_peek_leaves_out_requests_that_have_left_the_window(limiter):
    await limiter.hit(STORE, 1, plan(per_minute=5), now=T0)
    await limiter.hit(STORE, 1, plan(per_minute=5), now=T0 + 30)

    state = await limiter.peek(1, plan(per_minute=5), now=T0 + 60)

    assert (state.remaining, state.reset) == (4, T0 + 90)


async def test_peek_of_an_empty_window_has_every_slot_and_no_reset(limiter):
    state = await limiter.peek(1, plan(per_minute=5), now=T0)

    assert (state.limit, state.remaining, state.reset) == (5, 5, None)


async def test_peek_reports_nothing_for_a_plan_without_a_per_minute_limit(limiter):
    await limiter.hit(STORE, 1, plan(per_minute=None), now=T0)

    state = await limiter.peek(1, plan(per_minute=None), now=T0)

    assert (state.limit, state.remaining, state.reset) == (None, None, None)


# --- per-endpoint counters --------------------------------------------------------------------------------------


async def test_endpoint_counts_are_kept_per_label_for_the_minute_day_and_month(limiter):
    await limiter.record_endpoint(1, "graphql query customers", now=T0)
    await limiter.record_endpoint(1, "graphql query customers", now=T0)
    await limiter.record_endpoint(1, "GET /v1/customers/{id}", now=T0)

    assert await limiter.endpoint_usage(1, now=T0) == {
        "graphql query customers": {"minute": 2, "day": 2, "month": 2},
        "GET /v1/customers/{id}": {"minute": 1, "day": 1, "month": 1},
    }


async def test_endpoint_counts_of_an_earlier_minute_stay_in_the_day_and_month(limiter):
    await limiter.record_endpoint(1, "graphql query store", now=T0)
    await limiter.record_endpoint(1, "other", now=T0 + 120)

    assert await limiter.endpoint_usage(1, now=T0 + 120) == {
        "graphql query store": {"minute": 0, "day": 1, "month": 1},
        "other": {"minute": 1, "day": 1, "month": 1},
    }


async def test_endpoint_counts_start_again_with_the_calendar_month(limiter):
    await limiter.record_endpoint(1, "graphql query store", now=T0)

    assert await limiter.endpoint_usage(1, now=NEXT_MONTH) == {}


async def test_endpoint_counts_are_per_key(limiter):
    await limiter.record_endpoint(1, "graphql query store", now=T0)

    assert await limiter.endpoint_usage(2, now=T0) == {}


async def test_every_redis_key_of_the_endpoint_and_store_counters_expires():
    async with limiter_backend("redis") as made:
        assert isinstance(made, RedisRateLimiter)
        await made.record_endpoint(1, "other")
        await made.consume(STORE, "signups", plan())
        await made.consume(STORE, "webhooks", plan())
        redis: Redis = made.redis
        keys = [key async for key in redis.scan_iter(match=f"{made._prefix}*")]
        ttls = [await redis.ttl(key) for key in keys]

    assert len(keys) == 5  # three endpoint hashes (minute, day, month) and two store counters
    assert all(ttl > 0 for ttl in ttls)


# --- signups and webhooks quotas --------------------------------------------------------------------------------


async def test_consume_takes_signups_until_the_plans_limit_exactly(limiter):
    taken = [await limiter.consume(STORE, "signups", plan(signups=5), now=T0) for _ in range(7)]

    assert taken == [True] * 5 + [False] * 2
    assert (await limiter.store_usage(STORE, now=T0))["signups"] == 5


async def test_consume_refuses_more_than_remains_and_takes_nothing(limiter):
    await limiter.consume(STORE, "webhooks", plan(webhooks=3), amount=2, now=T0)

    refused = await limiter.consume(STORE, "webhooks", plan(webhooks=3), amount=2, now=T0)
    last = await limiter.consume(STORE, "webhooks", plan(webhooks=3), amount=1, now=T0)

    assert (refused, last) == (False, True)
    assert (await limiter.store_usage(STORE, now=T0))["webhooks"] == 3


async def test_signups_and_webhooks_are_counted_apart(limiter):
    await limiter.consume(STORE, "signups", plan(), amount=4, now=T0)

    assert await limiter.consume(STORE, "webhooks", plan(webhooks=3), amount=3, now=T0)
    assert await limiter.store_usage(STORE, now=T0) == {
        "requests": 0,
        "public_requests": 0,
        "signups": 4,
        "webhooks": 3,
    }


async def test_each_store_has_its_own_signups_quota(limiter):
    await limiter.consume(STORE, "signups", plan(signups=1), now=T0)

    assert await limiter.consume(OTHER_STORE, "signups", plan(signups=1), now=T0)


async def test_an_unlimited_quota_takes_every_consume(limiter):
    unlimited = plan(signups=None)

    taken = [await limiter.consume(STORE, "signups", unlimited, amount=1_000, now=T0) for _ in range(5)]

    assert all(taken)
    assert (await limiter.store_usage(STORE, now=T0))["signups"] == 5_000


async def test_the_signups_quota_renews_with_the_calendar_month(limiter):
    await limiter.consume(STORE, "signups", plan(signups=1), now=T0)

    assert await limiter.consume(STORE, "signups", plan(signups=1), now=NEXT_MONTH)


@pytest.mark.parametrize("amount", [0, -3])
async def test_consume_refuses_an_amount_below_one(limiter, amount):
    with pytest.raises(ValueError, match="at least 1"):
        await limiter.consume(STORE, "signups", plan(), amount=amount, now=T0)


async def test_concurrent_consumes_on_redis_take_exactly_the_limit(redis_limiter):
    limits = plan(signups=37)

    taken = await asyncio.gather(*(redis_limiter.consume(STORE, "signups", limits, now=T0) for _ in range(100)))

    assert sum(taken) == 37
    assert (await redis_limiter.store_usage(STORE, now=T0))["signups"] == 37


async def test_concurrent_consumes_of_several_units_on_redis_never_pass_the_limit(redis_limiter):
    limits = plan(webhooks=100)

    taken = await asyncio.gather(
        *(redis_limiter.consume(STORE, "webhooks", limits, amount=1 + n % 7, now=T0) for n in range(80))
    )

    used = (await redis_limiter.store_usage(STORE, now=T0))["webhooks"]
    assert used == sum(1 + n % 7 for n, ok in enumerate(taken) if ok)
    assert 100 - 7 < used <= 100


# --- the middleware counts the endpoint after the response ------------------------------------------------------

PRINCIPAL = principal(41, store_id=STORE, plan="free")


def principal_scope() -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [],
        "state": {"principal": PRINCIPAL, "request_id": "req_1"},
    }


def admitting(app: Any, limiter: RateLimiter, plans: dict[str, Plan] = DEFAULT_PLANS) -> AdmissionMiddleware:
    return AdmissionMiddleware(app, SequentialAdmission(limiter, MemoryIdempotencyStore()), plans, sealer=SEALER)


def labelling_app(label: str | None) -> Any:
    async def app(scope: Any, _receive: Any, send: Any) -> None:
        if label is not None:
            set_usage_endpoint(scope, label)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


async def test_the_endpoint_is_counted_after_the_response_under_the_apps_label():
    limiter = MemoryRateLimiter()
    counted_while_sending: list[dict[str, Any]] = []

    async def send(_message: Any) -> None:
        counted_while_sending.append(await limiter.endpoint_usage(PRINCIPAL.key_pk))

    middleware = admitting(labelling_app("graphql query store"), limiter)
    await middleware(principal_scope(), None, send)  # type: ignore[arg-type]

    assert counted_while_sending == [{}, {}]
    assert list(await limiter.endpoint_usage(PRINCIPAL.key_pk)) == ["graphql query store"]


async def test_an_answer_without_a_label_is_counted_as_other():
    limiter = MemoryRateLimiter()

    async def send(_message: Any) -> None:
        return None

    await admitting(labelling_app(None), limiter)(principal_scope(), None, send)  # type: ignore[arg-type]

    assert list(await limiter.endpoint_usage(PRINCIPAL.key_pk)) == ["other"]


async def test_a_failing_endpoint_count_is_logged_and_the_response_stands(caplog):
    class Failing(MemoryRateLimiter):
        async def record_endpoint(self, key_pk: int, endpoint: str, now: float | None = None) -> None:
            raise ConnectionError("redis went away")

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = admitting(labelling_app("graphql query store"), Failing())
    with caplog.at_level(logging.ERROR, logger="storegraph.rate_limit"):
        await middleware(principal_scope(), None, send)  # type: ignore[arg-type]

    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert "usage count failed (request req_1)" in caplog.text


async def test_a_refused_request_is_counted_under_no_endpoint():
    limiter = MemoryRateLimiter()
    no_quota = {"free": plan(per_month=0)}

    async def send(_message: Any) -> None:
        return None

    await admitting(labelling_app("graphql query store"), limiter, no_quota)(principal_scope(), None, send)  # type: ignore[arg-type]

    assert await limiter.endpoint_usage(PRINCIPAL.key_pk) == {}


def test_the_periods_labels_are_each_usage_periods_label_in_order():
    periods = periods_at(datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC).timestamp())

    assert periods.labels == tuple((period, periods.label(period)) for period in USAGE_PERIODS)
    assert periods.labels == (("minute", "202612312359"), ("day", "20261231"), ("month", "202612"))

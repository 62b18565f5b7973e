"""Public-key traffic (the signed POST /v1/signups and POST /v1/events) has limits of its own: a window per public
key and a monthly quota per store, apart from the platform keys' window and quota. A page holding the signing
secret can use up the public quota, never the one the merchant's platform keys run on. Each rule runs on the
in-process limiter and on the real Redis, in the limiter, in admission, and through the app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from storegraph.app import create_app
from storegraph.platform.admission import Admission, Claim, RedisAdmission, SequentialAdmission
from storegraph.platform.idempotency import MemoryIdempotencyStore, RedisIdempotencyStore
from storegraph.platform.limits import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from storegraph.platform.limits.plans import DEFAULT_PLANS, Plan
from storegraph.settings import Settings
from tests.conftest import app_settings, services_of
from tests.support.factories import Key, create_key, create_store
from tests.support.idempotency_support import REDIS_URL, redis_prefix
from tests.support.limiter_support import BACKENDS, limiter_backend
from tests.support.tracking_support import PublicKey, create_public_key, post_signed

T0 = datetime(2026, 11, 15, 12, 0, 0, tzinfo=UTC).timestamp()
NEXT_MONTH = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
STORE = 21
PLATFORM_KEY, PUBLIC_KEY, OTHER_PUBLIC_KEY = 1, 2, 3


def plan(
    *,
    per_minute: int | None = 100,
    per_month: int | None = 10_000,
    public_per_minute: int | None = 100,
    public_per_month: int | None = 10_000,
) -> Plan:
    return Plan(
        requests_per_minute=per_minute,
        requests_per_month=per_month,
        signups_per_month=None,
        webhooks_per_month=None,
        public_requests_per_minute=public_per_minute,
        public_requests_per_month=public_per_month,
    )


@pytest.fixture(params=BACKENDS)
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    async with limiter_backend(request.param) as made:
        yield made


async def public_hits(limiter: RateLimiter, limits: Plan, count: int, key_pk: int = PUBLIC_KEY) -> list[bool]:
    return [(await limiter.hit(STORE, key_pk, limits, now=T0, traffic="public")).allowed for _ in range(count)]


async def platform_hits(limiter: RateLimiter, limits: Plan, count: int, key_pk: int = PLATFORM_KEY) -> list[bool]:
    return [(await limiter.hit(STORE, key_pk, limits, now=T0)).allowed for _ in range(count)]


# --- the plan table ----------------------------------------------------------------------------------------------


def test_a_plan_that_names_no_public_limits_gives_public_traffic_its_platform_numbers():
    named = Plan.model_validate(
        {"requests_per_minute": 60, "requests_per_month": 900, "signups_per_month": 1, "webhooks_per_month": 2}
    )

    assert (named.public_requests_per_minute, named.public_requests_per_month) == (60, 900)


def test_a_plan_may_set_public_limits_of_its_own_including_unlimited():
    named = Plan.model_validate(
        {
            "requests_per_minute": 60,
            "requests_per_month": 900,
            "signups_per_month": 1,
            "webhooks_per_month": 2,
            "public_requests_per_minute": None,
            "public_requests_per_month": 50,
        }
    )

    assert (named.public_requests_per_minute, named.public_requests_per_month) == (None, 50)


@pytest.mark.parametrize("name", sorted(DEFAULT_PLANS))
def test_the_default_plans_give_public_traffic_the_platform_numbers_counted_apart(name):
    default = DEFAULT_PLANS[name]

    assert default.public_requests_per_minute == default.requests_per_minute
    assert default.public_requests_per_month == default.requests_per_month


def test_plans_from_the_environment_may_set_the_public_limits(monkeypatch):
    monkeypatch.setenv(
        "PLANS",
        '{"free": {"requests_per_minute": 30, "requests_per_month": 10000, "signups_per_month": 100,'
        ' "webhooks_per_month": 1000, "public_requests_per_minute": 120, "public_requests_per_month": 50000}}',
    )

    free = Settings(_env_file=None).plans["free"]

    assert (free.public_requests_per_minute, free.public_requests_per_month) == (120, 50_000)


# --- the limiter -------------------------------------------------------------------------------------------------


async def test_public_traffic_never_draws_on_the_platform_keys_quota(limiter):
    small = plan(per_month=3, public_per_month=3)
    assert await public_hits(limiter, small, 4) == [True, True, True, False]

    assert await platform_hits(limiter, small, 4) == [True, True, True, False]
    assert await limiter.store_usage(STORE, now=T0) == {
        "requests": 3,
        "public_requests": 3,
        "signups": 0,
        "webhooks": 0,
    }


async def test_platform_traffic_never_draws_on_the_public_quota(limiter):
    small = plan(per_month=2, public_per_month=2)
    await platform_hits(limiter, small, 3)

    assert await public_hits(limiter, small, 3) == [True, True, False]


async def test_an_exhausted_public_quota_is_a_quota_refusal_until_the_month_ends(limiter):
    small = plan(public_per_month=1)
    await public_hits(limiter, small, 1)

    refused = await limiter.hit(STORE, PUBLIC_KEY, small, now=T0, traffic="public")

    assert refused.refused_by == "quota"
    assert refused.retry_after == int(NEXT_MONTH - T0)
    assert (await limiter.hit(STORE, PUBLIC_KEY, small, now=NEXT_MONTH, traffic="public")).allowed


async def test_the_public_quota_is_shared_by_the_stores_public_keys(limiter):
    small = plan(public_per_month=3)
    await public_hits(limiter, small, 2, key_pk=PUBLIC_KEY)

    assert await public_hits(limiter, small, 2, key_pk=OTHER_PUBLIC_KEY) == [True, False]


async def test_a_public_key_has_the_plans_public_window(limiter):
    narrow = plan(per_minute=100, public_per_minute=2)

    decisions = [await limiter.hit(STORE, PUBLIC_KEY, narrow, now=T0, traffic="public") for _ in range(3)]

    assert [decision.allowed for decision in decisions] == [True, True, False]
    assert decisions[0].limit == 2
    assert decisions[2].refused_by == "rate"


async def test_a_public_key_counts_its_requests_in_its_own_usage(limiter):
    await public_hits(limiter, plan(), 2)

    assert await limiter.usage(PUBLIC_KEY, now=T0) == {"minute": 2, "day": 2, "month": 2}
    assert await limiter.usage(PLATFORM_KEY, now=T0) == {"minute": 0, "day": 0, "month": 0}


async def test_concurrent_public_hits_on_redis_take_exactly_the_public_quota_and_none_of_the_platforms():
    async with limiter_backend("redis") as redis_limiter:
        small = plan(per_month=5, public_per_month=37)
        decisions = await asyncio.gather(
            *(redis_limiter.hit(STORE, 10 + n % 5, small, now=T0, traffic="public") for n in range(100))
        )

        assert sum(decision.allowed for decision in decisions) == 37
        assert (await redis_limiter.store_usage(STORE, now=T0))["requests"] == 0
        assert await platform_hits(redis_limiter, small, 6) == [True] * 5 + [False]


async def test_the_public_quota_is_a_redis_counter_of_its_own_that_expires():
    async with redis_prefix() as (client, prefix):
        await RedisRateLimiter(client, prefix=prefix).hit(STORE, PUBLIC_KEY, plan(), now=T0, traffic="public")
        keys = sorted([key.decode() async for key in client.scan_iter(match=f"{prefix}limits:store:*")])
        ttls = [await client.ttl(key) for key in keys]

    assert keys == [f"{prefix}limits:store:{STORE}:public_requests:202611"]
    assert all(ttl > 0 for ttl in ttls)


# --- admission (the Redis path runs the combined script of a claimed request) ------------------------------------


@pytest.fixture(params=["memory", "redis"])
async def admission(request: pytest.FixtureRequest) -> AsyncIterator[Admission]:
    if request.param == "memory":
        yield SequentialAdmission(MemoryRateLimiter(), MemoryIdempotencyStore())
        return
    async with redis_prefix() as (client, prefix):
        yield RedisAdmission(RedisRateLimiter(client, prefix=prefix), RedisIdempotencyStore(client, prefix=prefix))


async def test_a_claimed_public_request_draws_on_the_public_quota_only(admission):
    small = plan(per_month=1, public_per_month=1)
    first = await admission.admit(STORE, PUBLIC_KEY, small, Claim("2:a", "fp", 60.0), T0, traffic="public")
    second = await admission.admit(STORE, PUBLIC_KEY, small, Claim("2:b", "fp", 60.0), T0, traffic="public")
    platform = await admission.admit(STORE, PLATFORM_KEY, small, Claim("1:a", "fp", 60.0), T0)

    assert first.decision.allowed
    assert first.reservation is not None
    assert second.decision.refused_by == "quota"
    assert second.reservation is None
    assert platform.decision.allowed


# --- through the app ---------------------------------------------------------------------------------------------

TINY = "public_limits_tiny"
TINY_PLAN = plan(per_minute=None, per_month=3, public_per_minute=None, public_per_month=2)


@asynccontextmanager
async def limits_app(database_url: str, backend: str) -> AsyncIterator[FastAPI]:
    """An app whose configuration has the tiny plan, with its limiter in the process or in the real Redis (under a
    prefix of its own, deleted afterwards)."""
    prefix = f"test:{uuid4().hex}:"
    redis = {"redis_url": REDIS_URL, "redis_prefix": prefix} if backend == "redis" else {}
    application = create_app(app_settings(database_url, plans={TINY: TINY_PLAN}, **redis))
    try:
        yield application
    finally:
        services = services_of(application)
        await services.job_queue.close()
        if services.redis is not None:
            await services.redis.aclose()
        await services.engine.dispose()
        if backend == "redis":
            cleaner = Redis.from_url(REDIS_URL)
            keys = [key async for key in cleaner.scan_iter(match=f"{prefix}*")]
            if keys:
                await cleaner.delete(*keys)
            await cleaner.aclose()


@asynccontextmanager
async def tiny_store(
    session, database_url: str, backend: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Key, PublicKey]]:
    store = await create_store(session, plan=TINY)
    platform = await create_key(session, store)
    public = await create_public_key(session, store)
    await session.commit()
    async with limits_app(database_url, backend) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
            yield http, platform, public


async def signups(client: httpx.AsyncClient, key: PublicKey, count: int) -> list[httpx.Response]:
    # Each body differs: the same body signed in the same second is the same signature, a replay.
    return [
        await post_signed(client, "/v1/signups", key, {"email": f"visitor{n}.{uuid4().hex[:6]}@example.dz"})
        for n in range(count)
    ]


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_a_page_using_up_its_quota_never_locks_the_platform_keys_out(session, database_url, backend):
    async with tiny_store(session, database_url, backend) as (client, platform, public):
        accepted = await signups(client, public, 2)
        refused = (await signups(client, public, 1))[0]
        platform_answers = [await client.get("/v1/whoami", headers=platform.headers) for _ in range(4)]

    assert [response.status_code for response in accepted] == [202, 202]
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "public-key requests" in error["message"]
    assert error["retry_after"] >= 1
    # The platform keys' quota (3) is whole: the page drew nothing from it.
    assert [response.status_code for response in platform_answers] == [200, 200, 200, 429]
    assert "public-key" not in platform_answers[-1].json()["error"]["message"]


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_platform_keys_using_up_their_quota_leave_the_pages_signups_running(session, database_url, backend):
    async with tiny_store(session, database_url, backend) as (client, platform, public):
        platform_answers = [await client.get("/v1/whoami", headers=platform.headers) for _ in range(4)]
        accepted = await signups(client, public, 2)

    assert platform_answers[-1].status_code == 429
    assert [response.status_code for response in accepted] == [202, 202]


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_quotas_report_the_public_quota_apart_from_the_platform_one(session, database_url, backend):
    async with tiny_store(session, database_url, backend) as (client, platform, public):
        await signups(client, public, 2)
        response = await client.get("/v1/quotas", headers=platform.headers)

    assert response.status_code == 200, response.text
    quotas = response.json()["data"]
    assert quotas["public_requests_per_month"] == {"limit": 2, "used": 2, "remaining": 0}
    assert quotas["requests_per_month"] == {"limit": 3, "used": 1, "remaining": 2}
    assert quotas["public_requests_per_minute"] is None

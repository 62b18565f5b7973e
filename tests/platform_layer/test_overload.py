"""Overload: the Redis pool waits (bounded) for a free connection instead of failing at once, and a pool that stays
empty (Redis's or the database's) is answered 503 ``overloaded`` with ``Retry-After`` in the caller's API style,
wherever the request needed it, never 500 ``internal_error``. Against the real Redis (no skips)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NoReturn

import httpx
import pytest
from fastapi import FastAPI
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import TimeoutError as DatabasePoolTimeout

from db.queries.keys import KeyDirectory
from storegraph.platform.errors import Overloaded
from storegraph.platform.limits.cost_budget import RedisCostBudget
from storegraph.platform.limits.redis_backend import RedisRateLimiter
from storegraph.platform.overload import BoundedRedisPool, RedisPoolExhausted, bounded_redis, overloaded
from storegraph.settings import REDIS_RESERVED_CONNECTIONS, Settings
from tests.conftest import services_of
from tests.support.factories import Key, create_key, create_store
from tests.support.idempotency_support import REDIS_URL
from tests.support.redis_apps import client_of, redis_app
from tests.support.tracking_support import create_public_key, post_signed

VIEWER = {"query": "{ viewer { keyId } }"}
USAGE = {"query": "{ usage { requestsThisMinute } }"}
RETRY_AFTER = str(Overloaded.DEFAULT_RETRY_AFTER)
# Short, so that a test whose pool is held runs out its wait at once; nothing else depends on it.
SHORT_WAIT = 0.05


@pytest.fixture
async def key(session) -> Key:
    store = await create_store(session)
    created = await create_key(session, store)
    await session.commit()
    return created


@asynccontextmanager
async def every_connection_held(application: FastAPI) -> AsyncIterator[None]:
    """What a burst of requests in flight does to the app's Redis pool: every connection is in use."""
    redis = services_of(application).redis
    assert redis is not None
    pool = redis.connection_pool
    held = [await pool.get_connection() for _ in range(pool.max_connections)]
    try:
        yield
    finally:
        for connection in held:
            await pool.release(connection)


@asynccontextmanager
async def busy_app(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        redis_app(database_url, redis_pool_size=2, redis_pool_timeout_seconds=SHORT_WAIT) as application,
        every_connection_held(application),
        client_of(application) as http,
    ):
        yield http


def assert_overloaded_in_rest(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == RETRY_AFTER
    body = response.json()
    assert body["error"]["code"] == "overloaded"
    assert body["error"]["retry_after"] == Overloaded.DEFAULT_RETRY_AFTER
    assert body["meta"]["request_id"] == response.headers["x-request-id"]


def assert_overloaded_in_graphql(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == RETRY_AFTER
    assert response.json()["errors"][0]["extensions"] == {
        "code": "overloaded",
        "retry_after": Overloaded.DEFAULT_RETRY_AFTER,
    }


def exhausted(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise RedisPoolExhausted("no Redis connection became free")


# --- the pool ---------------------------------------------------------------------------------------------------


async def test_a_command_waits_for_the_connection_another_one_releases():
    client = bounded_redis(REDIS_URL, max_connections=1, timeout_seconds=60)
    pool = client.connection_pool
    held = await pool.get_connection()
    try:
        waiting = asyncio.ensure_future(client.ping())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await pool.release(held)
        assert await asyncio.wait_for(waiting, 30) is True
    finally:
        await client.aclose()


async def test_a_wait_that_runs_out_raises_pool_exhausted_which_is_overload():
    client = bounded_redis(REDIS_URL, max_connections=1, timeout_seconds=SHORT_WAIT)
    pool = client.connection_pool
    held = await pool.get_connection()
    try:
        with pytest.raises(RedisPoolExhausted) as refused:
            await client.ping()
    finally:
        await pool.release(held)
        await client.aclose()

    assert overloaded(refused.value) is not None


async def test_an_unreachable_redis_is_a_failure_not_overload():
    client = bounded_redis("redis://127.0.0.1:1/0", max_connections=1, timeout_seconds=30)
    try:
        with pytest.raises(RedisConnectionError) as failed:
            await client.ping()
    finally:
        await client.aclose()

    assert not isinstance(failed.value, RedisPoolExhausted)
    assert overloaded(failed.value) is None


def test_overload_is_recognised_in_what_caused_an_error():
    wrapped = RuntimeError("the request's transaction could not begin")
    wrapped.__cause__ = DatabasePoolTimeout("QueuePool limit of size 10 overflow 10 reached")

    assert overloaded(wrapped) is not None
    assert overloaded(RuntimeError("a bug")) is None


def test_the_redis_pool_lends_as_many_connections_as_the_database_pool_and_a_reserve():
    assert Settings(db_pool_size=40).redis_max_connections == 80 + REDIS_RESERVED_CONNECTIONS
    assert Settings(db_pool_size=40, redis_pool_size=7).redis_max_connections == 7


async def test_the_apps_redis_client_waits_for_its_sized_pool(database_url):
    async with redis_app(database_url, db_pool_size=3, redis_pool_timeout_seconds=1.5) as application:
        redis = services_of(application).redis
        assert redis is not None
        pool = redis.connection_pool

        assert isinstance(pool, BoundedRedisPool)
        assert pool.max_connections == 6 + REDIS_RESERVED_CONNECTIONS
        assert pool.timeout == 1.5


# --- where a request meets Redis or the database ------------------------------------------------------------------


async def test_admission_without_a_free_redis_connection_is_503_overloaded_in_the_rest_envelope(database_url, key):
    async with busy_app(database_url) as http:
        response = await http.get("/v1/whoami", headers=key.headers)

    assert_overloaded_in_rest(response)


async def test_admission_without_a_free_redis_connection_is_503_overloaded_in_graphqls_shape(database_url, key):
    async with busy_app(database_url) as http:
        response = await http.post("/graphql", json=VIEWER, headers=key.headers)

    assert_overloaded_in_graphql(response)


async def test_a_signed_request_without_a_free_redis_connection_for_its_replay_check_is_503_overloaded(
    database_url, session
):
    public = await create_public_key(session, await create_store(session))
    await session.commit()
    async with busy_app(database_url) as http:
        response = await post_signed(http, "/v1/signups", public, {"email": "amina@example.dz"})

    assert_overloaded_in_rest(response)


async def test_a_query_cost_bucket_out_of_redis_connections_is_503_overloaded(database_url, key, monkeypatch):
    monkeypatch.setattr(RedisCostBudget, "charge", exhausted)
    async with redis_app(database_url) as application, client_of(application) as http:
        response = await http.post("/graphql", json=VIEWER, headers=key.headers)

    assert_overloaded_in_graphql(response)


async def test_a_field_whose_resolver_runs_out_of_redis_connections_is_answered_overloaded(
    database_url, key, monkeypatch
):
    monkeypatch.setattr(RedisRateLimiter, "usage", exhausted)
    async with redis_app(database_url) as application, client_of(application) as http:
        graphql = await http.post("/graphql", json=USAGE, headers=key.headers)
        rest = await http.get("/v1/usage", headers=key.headers)

    # The other fields would still answer: the operation ran, so GraphQL says 200 and names the field's error.
    assert graphql.status_code == 200
    assert graphql.json()["data"] == {"usage": None}
    assert graphql.json()["errors"][0]["extensions"]["code"] == "overloaded"
    assert_overloaded_in_rest(rest)


async def test_a_database_pool_that_stays_busy_during_authentication_is_503_overloaded(client, key, monkeypatch):
    async def busy(*_args: Any) -> NoReturn:
        raise DatabasePoolTimeout("QueuePool limit of size 10 overflow 10 reached, connection timed out")

    monkeypatch.setattr(KeyDirectory, "platform_key", busy)

    response = await client.get("/v1/whoami", headers=key.headers)

    assert_overloaded_in_rest(response)


# --- a burst ------------------------------------------------------------------------------------------------------


async def test_300_concurrent_requests_are_answered_or_refused_as_overloaded_never_with_a_500(database_url, key):
    async with redis_app(database_url) as application, client_of(application) as http:
        rest = [http.get("/v1/whoami", headers=key.headers) for _ in range(150)]
        graphql = [http.post("/graphql", json=VIEWER, headers=key.headers) for _ in range(150)]
        # A bound against a hang, far above what the burst takes.
        async with asyncio.timeout(120):
            responses = await asyncio.gather(*rest, *graphql)

    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[200] > 0
    for response in responses:
        if response.status_code == 503:
            assert response.headers["retry-after"] == RETRY_AFTER
            assert "overloaded" in response.text

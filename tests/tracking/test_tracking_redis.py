"""With REDIS_URL, a signature is accepted once across every API process: two apps (two processes) share the real
Redis and the database; a request accepted by one is refused as a replay by the other, and queues nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from storegraph.app import create_app
from storegraph.platform.auth.public_key import PublicKeyMiddleware
from storegraph.platform.auth.replay import RedisReplayStore
from tests.conftest import app_settings, services_of
from tests.support.factories import create_store
from tests.support.idempotency_support import REDIS_URL
from tests.support.tracking_support import PublicKey, body_bytes, create_public_key, signed_headers

SIGNUP = {"email": "amina@example.dz"}


@asynccontextmanager
async def redis_apps(database_url: str, count: int) -> AsyncIterator[list[FastAPI]]:
    """``count`` apps on the database and the real Redis, under a prefix of their own (deleted afterwards)."""
    prefix = f"test:{uuid4().hex}:"
    apps = [create_app(app_settings(database_url, redis_url=REDIS_URL, redis_prefix=prefix)) for _ in range(count)]
    try:
        yield apps
    finally:
        for application in apps:
            services = services_of(application)
            await services.job_queue.close()
            if services.redis is not None:
                await services.redis.aclose()
            await services.engine.dispose()
        cleaner = Redis.from_url(REDIS_URL)
        keys = [key async for key in cleaner.scan_iter(match=f"{prefix}*")]
        if keys:
            await cleaner.delete(*keys)
        await cleaner.aclose()


@pytest.fixture
async def key(session) -> PublicKey:
    store = await create_store(session)
    public = await create_public_key(session, store)
    await session.commit()
    return public


def _client(application: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://storegraph.test")


async def test_a_signature_accepted_by_one_process_is_refused_by_every_other(database_url, key):
    body = body_bytes(SIGNUP)
    headers = signed_headers(key, body)
    async with redis_apps(database_url, 2) as (first_app, second_app):
        assert isinstance(_replays_of(first_app), RedisReplayStore)
        async with _client(first_app) as first, _client(second_app) as second:
            accepted = await first.post("/v1/signups", content=body, headers=headers)
            replayed = await second.post("/v1/signups", content=body, headers=headers)
            again = await first.post("/v1/signups", content=body, headers=headers)

        assert accepted.status_code == 202, accepted.text
        assert replayed.status_code == again.status_code == 401
        assert replayed.json()["error"]["code"] == "unauthorized"
        # The one accepted request's job, in the shared Redis queue; nothing for the replays.
        assert await services_of(second_app).job_queue.pending() == 1


async def test_a_refused_request_queues_nothing_in_redis(database_url, key):
    body = body_bytes(SIGNUP)
    headers = {**signed_headers(key, body), "X-DZ-Signature": "0" * 64}
    async with redis_apps(database_url, 1) as (application,):
        async with _client(application) as client:
            response = await client.post("/v1/signups", content=body, headers=headers)

        assert response.status_code == 401
        assert await services_of(application).job_queue.pending() == 0


def _replays_of(application: FastAPI) -> object:
    """The replay store the app's public-key middleware was built with."""
    for middleware in application.user_middleware:
        if middleware.cls is cast("object", PublicKeyMiddleware):
            return middleware.kwargs["replays"]
    raise AssertionError("the app has no PublicKeyMiddleware")

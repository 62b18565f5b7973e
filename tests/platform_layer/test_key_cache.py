"""Verified keys are remembered, and revocation still takes effect at once: here, and through Redis in every
other process. Without a live feed a process does not cache at all."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from storegraph.app import create_app
from storegraph.platform.auth.key_cache import KeyCache, KeyRevocations
from storegraph.platform.auth.principal import Principal
from tests.conftest import app_settings, services_of, statement_counter
from tests.support.factories import Key, create_key, create_store
from tests.support.factories import principal as make_principal

REDIS_URL = os.environ.get("STOREGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")
VIEWER = {"query": "{ viewer { keyId storeName } }"}
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } userErrors { code } } }"
RENAME = "mutation($name: String!) { updateStore(input: {name: $name}) { store { name } userErrors { code } } }"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def principal(key_id: str = "k1", store_id: int = 1) -> Principal:
    return make_principal(key_id=key_id, store_id=store_id, plan="free")


def test_a_cached_key_is_found_by_its_exact_token_only():
    cache = KeyCache(60)
    cache.put("dzpk_live_k1.secret", principal())

    assert cache.get("dzpk_live_k1.secret") == principal()
    assert cache.get("dzpk_live_k1.other") is None


def test_a_cached_key_expires_after_its_ttl():
    clock = Clock()
    cache = KeyCache(60, clock=clock)
    cache.put("token", principal())

    clock.now = 59.9
    assert cache.get("token") is not None
    clock.now = 60
    assert cache.get("token") is None


def test_evicting_a_key_or_its_store_forgets_it():
    cache = KeyCache(60)
    cache.put("a", principal("k1", store_id=1))
    cache.put("b", principal("k2", store_id=1))
    cache.put("c", principal("k3", store_id=2))

    cache.evict(key_id="k1")
    assert [cache.get(token) is not None for token in "abc"] == [False, True, True]
    cache.evict(store_id=1)
    assert [cache.get(token) is not None for token in "abc"] == [False, False, True]


def test_a_disabled_cache_remembers_nothing():
    cache = KeyCache(60, enabled=False)
    cache.put("token", principal())

    assert cache.get("token") is None


# --- through the app, one process ---------------------------------------------------------------------------------


@pytest.fixture
async def caching_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(app_settings(database_url, key_cache_seconds=60))
    yield application
    await services_of(application).engine.dispose()


@pytest.fixture
async def http(caching_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=caching_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as client:
        yield client


@pytest.fixture
async def keys(session) -> tuple[Key, Key]:
    store = await create_store(session, name="Before")
    admin, victim = await create_key(session, store), await create_key(session, store)
    await session.commit()
    return admin, victim


async def test_a_remembered_key_costs_no_statement(caching_app, http, keys):
    _admin, key = keys
    assert (await http.post("/graphql", json=VIEWER, headers=key.headers)).status_code == 200

    with statement_counter(caching_app)() as counter:
        response = await http.post("/graphql", json=VIEWER, headers=key.headers)

    assert response.status_code == 200
    assert counter.statements == []


async def test_revoking_a_remembered_key_refuses_it_at_once(http, keys):
    admin, victim = keys
    assert (await http.post("/graphql", json=VIEWER, headers=victim.headers)).status_code == 200

    revoked = await http.post(
        "/graphql", json={"query": REVOKE, "variables": {"id": str(victim.id)}}, headers=admin.headers
    )

    assert revoked.json()["data"]["revokeApiKey"]["userErrors"] == []
    assert (await http.post("/graphql", json=VIEWER, headers=victim.headers)).status_code == 401


async def test_renaming_the_store_shows_at_once_to_remembered_keys(http, keys):
    admin, key = keys
    assert (await http.post("/graphql", json=VIEWER, headers=key.headers)).json()["data"]["viewer"]["storeName"] == (
        "Before"
    )

    await http.post("/graphql", json={"query": RENAME, "variables": {"name": "After"}}, headers=admin.headers)

    viewer = (await http.post("/graphql", json=VIEWER, headers=key.headers)).json()["data"]["viewer"]
    assert viewer["storeName"] == "After"


# --- across processes, through Redis -------------------------------------------------------------------------------


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    await client.ping()  # Redis down fails the test: it never skips
    yield client
    await client.aclose()


async def _until(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_a_revocation_in_one_process_evicts_the_key_in_another(redis):
    channel = f"test:{uuid4().hex}:keys"
    here, there = (KeyRevocations(KeyCache(60, enabled=False), redis, channel) for _ in range(2))
    feeds = [asyncio.create_task(process.listen()) for process in (here, there)]
    try:
        await _until(lambda: here.cache.enabled and there.cache.enabled)
        there.cache.put("token", principal("k1"))

        await here.key_revoked("k1")

        await _until(lambda: there.cache.get("token") is None)
    finally:
        for feed in feeds:
            feed.cancel()
        await asyncio.gather(*feeds, return_exceptions=True)


async def test_a_process_without_a_live_feed_does_not_cache(redis):
    revocations = KeyRevocations(KeyCache(60, enabled=False), redis, f"test:{uuid4().hex}:keys")
    feed = asyncio.create_task(revocations.listen())
    await _until(lambda: revocations.cache.enabled)

    feed.cancel()
    await asyncio.gather(feed, return_exceptions=True)
    revocations.cache.put("token", principal())

    assert revocations.cache.get("token") is None

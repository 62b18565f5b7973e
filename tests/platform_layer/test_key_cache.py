"""Verified keys are remembered, and revocation still takes effect at once: here, and through Redis in every
other process. Without a live feed a process does not cache at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from storegraph.app import create_app
from storegraph.platform.auth.key_cache import KeyCache, KeyRevocations
from storegraph.platform.auth.principal import Principal
from storegraph.rules.tracking.jobs import EVENTS_JOB
from tests.conftest import app_settings, services_of, statement_counter
from tests.support.factories import Key, create_key, create_store
from tests.support.factories import principal as make_principal
from tests.support.tracking_support import PublicKey, create_public_key, jobs_of_store, post_signed

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


def public_row(key_id: str = "p1", store_id: int = 1) -> Any:
    return SimpleNamespace(key_id=key_id, store_id=store_id, env="live")


def test_a_public_key_is_cached_by_its_id_and_evicted_with_it_or_its_store():
    cache = KeyCache(60)
    for key_id, store_id in (("p1", 1), ("p2", 1), ("p3", 2)):
        cache.put_public_key(public_row(key_id, store_id), read_at_generation=cache.generation)

    cache.evict(key_id="p1")
    assert [cache.public_key(key_id) is not None for key_id in ("p1", "p2", "p3")] == [False, True, True]
    cache.evict(store_id=1)
    assert [cache.public_key(key_id) is not None for key_id in ("p1", "p2", "p3")] == [False, False, True]


def test_a_public_key_read_before_an_eviction_is_not_cached():
    cache = KeyCache(60)
    generation = cache.generation  # the lookup starts...
    cache.evict(key_id="p1")  # ...a revocation arrives while it waits for the database...

    cache.put_public_key(public_row("p1"), read_at_generation=generation)

    assert cache.public_key("p1") is None


def test_a_cached_public_key_expires_after_its_ttl():
    clock = Clock()
    cache = KeyCache(60, clock=clock)
    cache.put_public_key(public_row("p1"), read_at_generation=cache.generation)

    clock.now = 60
    assert cache.public_key("p1") is None


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


@pytest.fixture
async def public_key(session) -> tuple[Key, PublicKey]:
    store = await create_store(session)
    admin = await create_key(session, store)
    public = await create_public_key(session, store)
    await session.commit()
    return admin, public


async def test_a_remembered_public_key_is_not_looked_up_again(caching_app, http, public_key):
    _admin, public = public_key
    assert (await post_signed(http, "/v1/events", public, {"event": "page_view"})).status_code == 202

    with statement_counter(caching_app)() as counter:
        response = await post_signed(http, "/v1/events", public, {"event": "product_view"})

    assert response.status_code == 202
    assert not [statement for statement in counter.statements if "api_keys" in statement]


async def test_revoking_a_remembered_public_key_refuses_it_at_once(caching_app, http, public_key):
    admin, public = public_key
    assert (await post_signed(http, "/v1/events", public, {"event": "page_view"})).status_code == 202

    revoked = await http.post(
        "/graphql", json={"query": REVOKE, "variables": {"id": str(public.id)}}, headers=admin.headers
    )

    assert revoked.json()["data"]["revokeApiKey"]["userErrors"] == []
    assert (await post_signed(http, "/v1/events", public, {"event": "product_view"})).status_code == 401
    sessionmaker = services_of(caching_app).sessionmaker
    assert [job.kind for job in await jobs_of_store(sessionmaker, public.store_id)] == [EVENTS_JOB]


# --- across processes, through Redis -------------------------------------------------------------------------------


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

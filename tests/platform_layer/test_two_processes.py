"""Acceptance (issue 4): two real `uvicorn` API processes sharing PostgreSQL and Redis hold one rate limit and
one idempotency record between them."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from db.models import Order
from tests.support.factories import Key, create_key, create_product, create_store
from tests.support.live_server import start_api, wait_until_up
from tests.support.processes import free_port

REDIS_URL = os.environ.get("STOREGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@dataclass(frozen=True)
class ApiProcesses:
    urls: list[str]


@pytest.fixture
def redis_prefix() -> str:
    return f"test:{uuid4().hex}:"


@pytest.fixture
async def clean_redis(redis_prefix: str) -> AsyncIterator[None]:
    yield
    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def api_processes(database_url: str, redis_prefix: str, clean_redis: None, tmp_path: Path) -> Iterator[ApiProcesses]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": redis_prefix,
        "SECRET_KEY": "test-secret",
        # PostgreSQL's 100 connections are shared with the test process's own pools: requests queue for one here.
        "DB_POOL_SIZE": "5",
    }
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"api-{port}.log" for port in ports]
    processes = [start_api(port, env, log) for port, log in zip(ports, logs, strict=True)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process, log in zip(urls, processes, logs, strict=True):
            wait_until_up(url, process, log)
        yield ApiProcesses(urls)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


async def _free_plan_key(session) -> Key:
    store = await create_store(session, plan="free")
    key = await create_key(session, store)
    await session.commit()
    return key


async def test_a_free_key_gets_exactly_30_requests_a_minute_across_two_processes(session, api_processes):
    key = await _free_plan_key(session)
    query = {"query": "{ viewer { keyId } }"}
    async with httpx.AsyncClient(timeout=30) as http:
        responses = await asyncio.gather(
            *(http.post(f"{api_processes.urls[n % 2]}/graphql", json=query, headers=key.headers) for n in range(40))
        )

    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 30
    assert statuses.count(429) == 10
    for refused in (response for response in responses if response.status_code == 429):
        assert refused.json()["errors"][0]["extensions"]["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["retry_after"] >= 1


PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id orderNumber } userErrors { field code } }
}
"""


async def test_fifty_concurrent_identical_orders_with_one_idempotency_key_run_once(
    session, sessionmaker, api_processes
):
    store = await create_store(session, plan="enterprise")
    key = await create_key(session, store)
    product = await create_product(session, store, price=1000)
    product.track_stock = False
    await session.commit()
    body = {
        "query": PLACE,
        "variables": {
            "input": {
                "lines": [{"productId": str(product.id), "quantity": 1}],
                "customer": {"firstName": "Nadia", "phone": "0555 12 12 12", "wilayaId": 16},
            }
        },
    }
    headers = {**key.headers, "Idempotency-Key": f"checkout-{uuid4().hex}"}

    async with httpx.AsyncClient(timeout=60) as http:
        responses = await asyncio.gather(
            *(http.post(f"{api_processes.urls[n % 2]}/graphql", json=body, headers=headers) for n in range(50))
        )

    async with sessionmaker() as check:
        orders = await check.scalar(select(func.count()).select_from(Order).where(Order.store_id == store.id))
    assert orders == 1
    executed = [r for r in responses if r.status_code == 200 and "idempotent-replayed" not in r.headers]
    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    in_use = [r for r in responses if r.status_code == 409]
    assert len(executed) == 1
    assert len(executed) + len(replayed) + len(in_use) == 50
    first = executed[0].json()
    assert all(r.json() == first for r in replayed)
    assert all(r.json()["errors"][0]["extensions"]["code"] == "idempotency_key_in_use" for r in in_use)


REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } userErrors { code } } }"
VIEWER = {"query": "{ viewer { keyId } }"}


async def test_a_key_revoked_through_one_process_is_refused_by_the_other_at_once(session, api_processes):
    store = await create_store(session, plan="enterprise")
    admin, victim = await create_key(session, store), await create_key(session, store)
    await session.commit()
    first, second = api_processes.urls
    async with httpx.AsyncClient(timeout=30) as http:
        # Both processes have verified (and remember) the key.
        for url in (first, second):
            assert (await http.post(f"{url}/graphql", json=VIEWER, headers=victim.headers)).status_code == 200

        revoked = await http.post(
            f"{first}/graphql", json={"query": REVOKE, "variables": {"id": str(victim.id)}}, headers=admin.headers
        )
        assert revoked.json()["data"]["revokeApiKey"]["userErrors"] == []

        # The announcement crosses Redis pub/sub in milliseconds; without it the other process would keep the key
        # for its cache's 60 seconds, far past this wait.
        await _until_refused(http, f"{second}/graphql", victim.headers)


async def _until_refused(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if (await http.post(url, json=VIEWER, headers=headers)).status_code == 401:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the revoked key still works in the other process")

"""The scaled-out deployment of docs/deploy.md, run for real: the migration once, then two API processes
(`storegraph serve --no-worker`, each on a port of its own, as the compose file's replicas run) and two
`storegraph worker` processes, all on one fresh PostgreSQL database and the real Redis under a prefix of their own.

What one process decides, every other holds to: a key's rate limit is exact across both API processes, one
Idempotency-Key has one effect whichever process each copy of the request reaches, a key revoked through one
process is refused by the other on the very next request, and a worker killed with SIGKILL while it delivers
webhooks loses none: the other worker takes its jobs over when their lease runs out.

The processes start once for the module; the worker-kill test leaves one worker running, and the tests before it
need none.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.migrate import upgrade_to_head
from db.models import Product
from db.session import create_engine, create_sessionmaker
from storegraph.platform.jobs.redis_streams import RedisStreamJobQueue
from tests.conftest import postgres_database
from tests.support.factories import Key, create_key, create_product, create_store
from tests.support.processes import (
    Process,
    Processes,
    SlowReceiver,
    free_port,
    running,
    slow_receiver,
    storegraph_command,
    until,
    whole,
)
from tests.support.queues import REDIS_URL
from tests.support.rest_calls import data_of, error_of, writing

# Bounded waits, generous for a loaded 2-core machine: four interpreters start at once, about 3 s of CPU each (a
# minute of wall-clock time on a machine running ten other busy processes).
STARTUP_SECONDS = 120
# A short lease, so that the surviving worker takes the killed one's jobs over quickly; the webhook timeout stays
# below the handler timeout (80 % of the lease), as docs/webhooks.md requires.
LEASE_SECONDS = 3
WEBHOOK_TIMEOUT_SECONDS = 2
# Each delivery takes this long at the receiver, and each worker runs JOB_CONCURRENCY at once: a worker holds
# deliveries in flight for most of the test, whichever moment the kill lands.
RECEIVER_DELAY = 0.4
JOB_CONCURRENCY = 3
ORDERS = 24
PLACING_AT_ONCE = 4
KILL_SECONDS = 30
RECOVERY_SECONDS = 40
FREE_REQUESTS_PER_MINUTE = 30  # the free plan's window (storegraph/platform/limits/plans.py)
_WORKER_NAME = re.compile(r"worker (\S+) started \(concurrency")


@dataclass
class Deployment:
    urls: list[str]
    processes: Processes
    apis: list[Process]
    workers: list[Process]
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    redis_prefix: str
    hooks: SlowReceiver

    def worker_named(self, consumer: str) -> Process:
        """The worker process whose Redis consumer name (logged at its start) is ``consumer``."""
        for worker in self.workers:
            if (found := _WORKER_NAME.search(worker.text())) and found[1] == consumer:
                return worker
        raise AssertionError(f"no worker is consumer {consumer!r}\n{self.processes.logs()}")

    async def pending_by_worker(self) -> dict[str, int]:
        """Jobs claimed and not settled, by the consumer (worker) holding them."""
        stream = f"{self.redis_prefix}{{jobs}}:stream"
        try:
            summary: Any = await self.redis.xpending(stream, "workers")
        except Exception:  # the stream or its group does not exist before the first job
            return {}
        return {_text(row["name"]): int(row["pending"]) for row in summary.get("consumers") or []}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _env(database_url: str, redis_prefix: str) -> dict[str, str]:
    """What every process of the deployment shares (docs/deploy.md), sized for a test machine."""
    inherited = ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "JOB_QUEUE", "EMBEDDED_WORKER")
    env = {key: value for key, value in os.environ.items() if key not in inherited}
    return env | {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": redis_prefix,
        "JOB_QUEUE": "redis",
        "SECRET_KEY": "test-secret",
        # PostgreSQL's 100 connections are shared with the rest of the test run; a burst waits for a connection
        # rather than being refused, however slow the machine (the overload answers have tests of their own).
        "DB_POOL_SIZE": "5",
        "REDIS_POOL_TIMEOUT_SECONDS": "30",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_TIMEOUT_SECONDS": str(WEBHOOK_TIMEOUT_SECONDS),
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "JOB_POLL_INTERVAL_SECONDS": "0.05",
        "JOB_CONCURRENCY": str(JOB_CONCURRENCY),
        "JOB_BATCH_SIZE": str(JOB_CONCURRENCY),
        # GraphQL's query-cost bucket: no throttling of the orders the worker test places.
        "COST_BUCKET_SIZE": "10000000",
        "LOG_LEVEL": "info",
        "PYTHONUNBUFFERED": "1",
    }


async def _ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as check:
            return (await check.get(f"{url}/readyz")).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    prefix = f"test:scale-out:{uuid4().hex}:"
    redis = Redis.from_url(REDIS_URL)
    await redis.ping()
    try:
        async with postgres_database("storegraph_scale") as url, slow_receiver(RECEIVER_DELAY) as hooks:
            processes = Processes(tmp_path_factory.mktemp("scale-out"), _env(url, prefix))
            engine = create_engine(url, pool_size=2)
            try:
                with running(processes):
                    # What the compose file's one-shot `migrate` service does (`storegraph migrate` runs this), in
                    # this process: one interpreter fewer to start. Each process below migrates again at its start,
                    # as `serve` and `worker` do, and finds nothing to do.
                    await upgrade_to_head(engine)
                    ports = [free_port(), free_port()]
                    apis = [
                        processes.start(f"api-{port}", storegraph_command("serve", "--port", str(port), "--no-worker"))
                        for port in ports
                    ]
                    workers = [processes.start(f"worker-{n}", storegraph_command("worker")) for n in (1, 2)]
                    urls = [f"http://127.0.0.1:{port}" for port in ports]
                    deployed = Deployment(
                        urls, processes, apis, workers, engine, create_sessionmaker(engine), redis, prefix, hooks
                    )

                    async def all_up() -> bool:
                        started = all(_WORKER_NAME.search(worker.text()) for worker in workers)
                        return started and all([await _ready(url) for url in urls])

                    await until(all_up, "every process to start", processes, apis + workers, STARTUP_SECONDS)
                    yield deployed
            finally:
                await engine.dispose()
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def _store_with_keys(deployment: Deployment, plan: str, keys: int = 1) -> list[Key]:
    async with deployment.sessionmaker() as session:
        store = await create_store(session, plan=plan)
        made = [await create_key(session, store) for _ in range(keys)]
        await session.commit()
    return made


async def test_a_keys_rate_limit_is_exact_across_two_api_processes(deployment: Deployment):
    [key] = await _store_with_keys(deployment, "free")
    sent = FREE_REQUESTS_PER_MINUTE + 10
    async with httpx.AsyncClient(timeout=30) as http:
        responses = await asyncio.gather(
            *(http.get(f"{deployment.urls[n % 2]}/v1/whoami", headers=key.headers) for n in range(sent))
        )

    statuses = Counter(response.status_code for response in responses)
    # Each process got 20 requests: 30 admitted in all means both counted against the one window.
    assert statuses == {200: FREE_REQUESTS_PER_MINUTE, 429: sent - FREE_REQUESTS_PER_MINUTE}
    for refused in (response for response in responses if response.status_code == 429):
        assert error_of(refused, 429, "rate_limited")
        assert int(refused.headers["retry-after"]) >= 1


async def test_one_idempotency_key_sent_to_both_processes_at_once_creates_one_product(deployment: Deployment):
    [key] = await _store_with_keys(deployment, "enterprise")
    sku = f"SCALE-{uuid4().hex[:10]}"
    body = {"name": "T-Shirt", "price": 1500, "sku": sku, "stock_quantity": 50, "track_stock": True, "status": "active"}
    headers = writing(key)
    async with httpx.AsyncClient(timeout=30) as http:
        at_once = await asyncio.gather(
            *(http.post(f"{deployment.urls[n % 2]}/v1/products", json=body, headers=headers) for n in range(8))
        )
        # Once the first answer is kept, each process replays it.
        later = [await http.post(f"{url}/v1/products", json=body, headers=headers) for url in deployment.urls]

    async with deployment.sessionmaker() as check:
        products = await check.scalar(
            select(func.count()).select_from(Product).where(Product.store_id == key.store_id, Product.sku == sku)
        )
    assert products == 1
    executed = [r for r in at_once if r.status_code == 201 and "idempotent-replayed" not in r.headers]
    replayed = [r for r in [*at_once, *later] if r.headers.get("idempotent-replayed") == "true"]
    in_use = [r for r in at_once if r.status_code == 409]
    assert len(executed) == 1
    assert len(executed) + len(replayed) + len(in_use) == len(at_once) + len(later)
    assert all(error_of(r, 409, "idempotency_key_in_use") for r in in_use)
    assert sku in executed[0].text
    assert all(r.status_code == 201 and r.content == executed[0].content for r in replayed)
    assert all(r in replayed for r in later)


async def test_a_key_revoked_through_one_process_is_refused_by_the_other_on_its_next_request(
    deployment: Deployment,
):
    admin, victim = await _store_with_keys(deployment, "enterprise", keys=2)
    first, second = deployment.urls
    async with httpx.AsyncClient(timeout=30) as http:
        # Both processes have verified the key, and remember it for KEY_CACHE_SECONDS (60).
        for url in (first, second):
            data_of(await http.get(f"{url}/v1/whoami", headers=victim.headers))

        data_of(await http.delete(f"{first}/v1/keys/{victim.id}", headers=writing(admin)))

        error_of(await http.get(f"{second}/v1/whoami", headers=victim.headers), 401, "unauthorized")
        error_of(await http.get(f"{first}/v1/whoami", headers=victim.headers), 401, "unauthorized")


PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id } userErrors { field code message } }
}
"""


async def _place_orders(http: httpx.AsyncClient, deployment: Deployment, key: Key, product_id: int) -> list[str]:
    """ORDERS orders, PLACING_AT_ONCE at a time, alternately through each API process: they come faster than the
    workers deliver, so deliveries queue up and each worker holds several at once."""
    at_once = asyncio.Semaphore(PLACING_AT_ONCE)

    async def place(number: int) -> str:
        customer = {"firstName": "Sara", "phone": f"0555{number:06d}", "wilayaId": 16}
        variables = {"input": {"lines": [{"productId": str(product_id), "quantity": 1}], "customer": customer}}
        url = deployment.urls[number % 2]
        async with at_once:
            response = await http.post(
                f"{url}/graphql", json={"query": PLACE, "variables": variables}, headers=key.headers
            )
        payload = response.json()
        assert response.status_code == 200, payload
        assert not payload.get("errors"), payload
        assert payload["data"]["placeOrder"]["userErrors"] == [], payload
        return str(payload["data"]["placeOrder"]["order"]["id"])

    return list(await asyncio.gather(*(place(number) for number in range(ORDERS))))


async def test_a_worker_killed_while_delivering_webhooks_loses_none(deployment: Deployment):
    assert all(worker.alive() for worker in deployment.workers), deployment.processes.logs()
    async with deployment.sessionmaker() as session:
        store = await create_store(session, plan="enterprise")  # no webhooks quota
        key = await create_key(session, store)
        product = await create_product(session, store, price=1000)
        product.track_stock = False
        product_id = product.id
        await session.commit()
    hooks, processes, apis = deployment.hooks, deployment.processes, deployment.apis
    queue = RedisStreamJobQueue(deployment.redis, prefix=deployment.redis_prefix)

    async with httpx.AsyncClient(timeout=30) as http:
        subscribed = data_of(
            await http.post(
                f"{deployment.urls[0]}/v1/webhooks",
                json={"url": hooks.url, "events": ["order.created"]},
                headers=writing(key),
            ),
            201,
        )
        assert subscribed["secret"]
        placing = asyncio.create_task(_place_orders(http, deployment, key, product_id))
        try:
            holding: dict[str, int] = {}

            async def a_worker_holds_deliveries() -> bool:
                nonlocal holding
                if placing.done() and placing.exception() is not None:
                    return True  # raised by the await below
                holding = {name: n for name, n in (await deployment.pending_by_worker()).items() if n >= 2}
                return bool(holding) and len(whole(list(hooks.requests))) >= 2

            await until(a_worker_holds_deliveries, "a worker to be delivering webhooks", processes, apis, KILL_SECONDS)
            if placing.done():
                await placing  # an order the API refused fails the test here, with its answer
            consumer = max(holding, key=holding.__getitem__)
            killed = deployment.worker_named(consumer)
            killed.popen.send_signal(signal.SIGKILL)
            killed.popen.wait(timeout=10)
            killed_at = time.monotonic()
            held_at_death = (await deployment.pending_by_worker()).get(consumer, 0)
            placed = await placing
        finally:
            if not placing.done():
                placing.cancel()
    survivor = next(worker for worker in deployment.workers if worker is not killed)

    def delivered() -> Counter[str]:
        return Counter(
            str(request.json()["data"]["id"])
            for request in whole(list(hooks.requests))
            if request.event == "order.created"
        )

    async def every_order_delivered() -> bool:
        return set(placed) <= set(delivered()) and await queue.pending() == 0

    await until(every_order_delivered, "every order's webhook", processes, [*apis, survivor], RECOVERY_SECONDS)
    recovered_in = time.monotonic() - killed_at

    # The kill landed while the worker held deliveries it had not settled; the survivor took them over.
    assert held_at_death > 0
    assert set(delivered()) == set(placed)
    assert await queue.dead_letters() == []
    assert survivor.alive()
    duplicates = sum(count - 1 for count in delivered().values())
    print(
        f"\nkilled a worker holding {held_at_death} deliveries; all {len(placed)} delivered {recovered_in:.1f} s "
        f"later, {duplicates} twice (at least once)"
    )

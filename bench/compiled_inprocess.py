"""Compiled execution against graphql-core's, in process: per-request microseconds of the hot reads through the
whole app (middleware, /graphql or /v1, the database), with the compiled way on and off, interleaved round by round.

    .venv/bin/python bench/compiled_inprocess.py [--requests 200 --rounds 7 --customers 300 --orders 4000 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/storegraph_bench_inproc --only O1,P1]

Without ``--database-url`` a temporary SQLite database is made and filled with the demo data; with one, the database
must exist and be empty (migrated and filled here). The plans' request limits are lifted so that the load never meets
them. Figures: the median over rounds of each round's median wall-clock microseconds per request, and of each
round's CPU microseconds per request (``time.process_time``), with compiled / standard.
Each request's answer is checked to be the same bytes both ways before timing.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from sqlalchemy import select
from starlette.types import ASGIApp, Message, Scope

from db.migrate import upgrade_to_head
from db.models import Customer, Order, Product
from db.session import create_engine, create_sessionmaker
from schema.core.compiled.run import CompiledExecution
from storegraph.app import create_app
from storegraph.demo.load import build_demo
from storegraph.platform.limits.plans import DEFAULT_PLANS, Plan
from storegraph.settings import Settings

UNLIMITED = Plan(requests_per_minute=None, requests_per_month=None, signups_per_month=None, webhooks_per_month=None)
W1 = (
    "query BenchList($first: Int!) { customers(first: $first) { edges { node { id firstName lastName phone "
    "email totalOrders totalSpent createdAt } } } }"
)
W2 = (
    "query Bench($first: Int!) { customers(first: $first) { edges { node { id firstName lastName phone "
    "totalOrders totalSpent orders(first: 5) { edges { node { id orderNumber status total createdAt } } } "
    "} } } }"
)
W3 = (
    "query BenchOne($id: ID!) { customer(id: $id) { id firstName lastName phone email totalOrders "
    "totalSpent createdAt } }"
)
ORDERS = (
    "query BenchOrders($first: Int!) { orders(first: $first) { nodes { id orderNumber status paymentStatus total "
    "customerName createdAt items { productName quantity unitPrice total } } pageInfo { hasNextPage endCursor } } }"
)


def graphql(query: str, variables: dict[str, Any]) -> tuple[str, str, bytes]:
    return "POST", "/graphql", orjson.dumps({"query": query, "variables": variables})


def http_scope(method: str, target: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    """The scope a server would make for ``method target`` (a path with its query string) from 127.0.0.1."""
    path, _, query = target.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def asgi_request(app: ASGIApp, scope: Scope, body: bytes) -> tuple[int, bytes]:
    """One request through ``app`` in process: its status and body. The body comes whole; after it the client
    stays connected, as a benchmark's client does."""
    chunks: list[bytes] = []
    status = 0
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def call(app: FastAPI, token: str, request: tuple[str, str, bytes]) -> bytes:
    method, target, body = request
    headers = [
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
        (b"x-request-id", b"req_bench"),
    ]
    status, answer = await asgi_request(app, http_scope(method, target, headers), body)
    if status != 200:
        raise RuntimeError(f"{target} answered {status}: {answer[:300]!r}")
    return answer


def without_throttle(body: bytes) -> bytes:
    payload = orjson.loads(body)
    if "extensions" in payload:
        payload["extensions"]["cost"]["throttleStatus"] = None
    return orjson.dumps(payload)


async def time_round(run: Callable[[], Awaitable[bytes]], count: int) -> tuple[float, float]:
    """The median wall-clock microseconds of ``count`` requests, and the process's CPU microseconds per request
    (less moved by other processes on a shared machine; with SQLite it includes the driver's thread)."""
    times = []
    cpu_start = time.process_time()
    for _ in range(count):
        start = time.perf_counter()
        await run()
        times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times), (time.process_time() - cpu_start) * 1e6 / count


@dataclass(frozen=True)
class DemoApp:
    """The app over a database filled with the demo data, its plans without limits, and ids to read."""

    app: FastAPI
    key: str
    customer_id: int
    order_id: int
    product_id: int


async def demo_app(url: str, customers: int, orders: int, *, redis_url: str | None = None) -> DemoApp:
    """Migrates and fills the database at ``url`` (which must be empty) and builds the app on it."""
    engine = create_engine(url, pool_size=2)
    await upgrade_to_head(engine)
    demo = await build_demo(create_sessionmaker(engine), customers=customers, orders=orders, progress=False)
    async with create_sessionmaker(engine)() as session:
        customer_id, order_id, product_id = [
            await session.scalar(
                select(model.id).where(model.store_id == demo.store_id).order_by(model.id.desc()).limit(1)
            )
            for model in (Customer, Order, Product)
        ]
    await engine.dispose()
    settings = Settings(
        database_url=url,
        secret_key="bench-secret",
        redis_url=redis_url,
        cost_bucket_size=2**31 - 1,
        plans=dict.fromkeys(DEFAULT_PLANS, UNLIMITED),
    )
    return DemoApp(create_app(settings), demo.key, customer_id, order_id, product_id)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        loaded = await demo_app(url, args.customers, args.orders)
        app, customer_id, order_id, product_id = loaded.app, loaded.customer_id, loaded.order_id, loaded.product_id
        compiled = app.state.services.schema.compiled
        assert isinstance(compiled, CompiledExecution)
        workloads = {
            "W1 /graphql list 50": graphql(W1, {"first": 50}),
            "W2 /graphql 50 x 5 orders": graphql(W2, {"first": 50}),
            "W3 /graphql one by id": graphql(W3, {"id": str(customer_id)}),
            "W1 /v1/customers?limit=50": ("GET", "/v1/customers?limit=50", b""),
            "W3 /v1/customers/{id}": ("GET", f"/v1/customers/{customer_id}", b""),
            "O1 /graphql 50 orders + items": graphql(ORDERS, {"first": 50}),
            "O1 /v1/orders?limit=50": ("GET", "/v1/orders?limit=50", b""),
            "O2 /v1/orders/{id}": ("GET", f"/v1/orders/{order_id}", b""),
            "P1 /v1/products?limit=50": ("GET", "/v1/products?limit=50", b""),
            "P2 /v1/products/{id}": ("GET", f"/v1/products/{product_id}", b""),
        }
        print(
            f"{'workload':28} {'standard µs':>11} {'compiled µs':>11} {'ratio':>5} "
            f"{'std CPU µs':>10} {'cmp CPU µs':>10} {'ratio':>5}  compiled requests"
        )
        for name, request in workloads.items():
            if args.only and not any(part in name for part in args.only.split(",")):
                continue
            compiled.enabled = False
            standard_answer = without_throttle(await call(app, loaded.key, request))
            compiled.enabled = True
            before = compiled.counts.compiled
            assert without_throttle(await call(app, loaded.key, request)) == standard_answer, name
            assert compiled.counts.compiled == before + 1, f"{name} did not take the compiled way"
            results: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
            for _ in range(args.rounds):
                for enabled in (False, True):
                    compiled.enabled = enabled
                    run = functools.partial(call, app, loaded.key, request)
                    results[enabled].append(await time_round(run, args.requests))
            compiled.enabled = True
            wall = [statistics.median(wall for wall, _ in results[enabled]) for enabled in (False, True)]
            cpu = [statistics.median(cpu for _, cpu in results[enabled]) for enabled in (False, True)]
            share = compiled.counts.compiled - before
            print(
                f"{name:28} {wall[0]:11.0f} {wall[1]:11.0f} {wall[1] / wall[0]:5.2f} "
                f"{cpu[0]:10.0f} {cpu[1]:10.0f} {cpu[1] / cpu[0]:5.2f}  {share}"
            )
        await app.state.services.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--only", default="", help="Comma-separated parts of workload names (W1,O1,/v1): only those.")
    asyncio.run(main(parser.parse_args()))

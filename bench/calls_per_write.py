"""Python function calls per request of the hot writes (bench/writes.py's three), through the whole app in process:
the work done per write that, unlike a time, does not move with what else the machine is running.

    .venv/bin/python bench/calls_per_write.py [--requests 200 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/storegraph_bench_writes] [--redis URL]

Without ``--database-url`` a temporary SQLite database is made; with one, the database must exist and be empty. It is
filled with a small demo store, plus a product with untracked stock for checkout. Every request carries an
``Idempotency-Key`` of its own (so each one reserves, runs and keeps its answer, as in bench/writes.py):

- W4 ``POST /v1/products`` ``{"name": "Bench product <n>", "price": 1500}``;
- ``placeOrder`` on ``/graphql``, one line of the untracked product, a new customer's phone per request;
- ``PATCH /v1/orders/{id}`` ``{"status": "confirmed"}``, each request one of the orders checkout placed.

Each workload is warmed up, then ``--requests`` requests run under ``cProfile`` (with the process's CPU clock) and
the count of calls (Python functions and built-ins) is divided by the requests; the SQL statements (without
transaction control) are counted over a few more requests, run without the profiler, with a listener on the
engine's statements (through which the statements the driver runs directly otherwise run on SQLAlchemy).
``--top N`` prints the N functions of most cumulative time for each workload.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import pstats
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from compiled_inprocess import asgi_request, demo_app, http_scope
from fastapi import FastAPI
from sqlalchemy import event

WARMUP = 30
STATEMENT_REQUESTS = 10
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
PLACE_ORDER = (
    "mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id orderNumber status total } "
    "customer { id totalOrders } userErrors { field code message } } }"
)
Request = tuple[str, str, bytes, int]


async def call(app: FastAPI, token: str, request: Request, key: str) -> bytes:
    method, path, body, expected = request
    headers = [
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
        (b"idempotency-key", key.encode()),
        (b"x-request-id", b"req_bench"),
    ]
    status, answer = await asgi_request(app, http_scope(method, path, headers), body)
    if status != expected or b'"errors"' in answer or b'"userErrors":[{' in answer:
        raise RuntimeError(f"{method} {path} answered {status}: {answer[:300]!r}")
    return answer


def counting_statements(app: FastAPI) -> tuple[list[str], Callable[[], None]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not TRANSACTION_CONTROL.match(statement):
            statements.append(statement)

    engine = app.state.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    return statements, lambda: event.remove(engine, "before_cursor_execute", record)


async def untracked_product(app: FastAPI, token: str) -> int:
    body = orjson.dumps({"name": "Tapis bench", "price": 1500, "track_stock": False, "status": "active"})
    answer = await call(app, token, ("POST", "/v1/products", body, 201), "bench-product")
    product_id: int = orjson.loads(answer)["data"]["id"]
    return product_id


def workloads(product_id: int, placed: list[int]) -> dict[str, Callable[[int], Request]]:
    def create_product(n: int) -> Request:
        return "POST", "/v1/products", orjson.dumps({"name": f"Bench product {n}", "price": 1500}), 201

    def place_order(n: int) -> Request:
        buyer = {"phone": f"0550{n:06d}", "firstName": "Amine", "wilayaId": 16}
        variables = {"input": {"customer": buyer, "lines": [{"productId": str(product_id), "quantity": 1}]}}
        return "POST", "/graphql", orjson.dumps({"query": PLACE_ORDER, "variables": variables}), 200

    def update_order(_n: int) -> Request:
        return "PATCH", f"/v1/orders/{placed.pop()}", orjson.dumps({"status": "confirmed"}), 200

    return {
        "W4 POST /v1/products": create_product,
        "placeOrder /graphql": place_order,
        "PATCH /v1/orders/{id}": update_order,
    }


def top(stats: pstats.Stats, count: int, requests: int) -> Iterator[str]:
    rows = stats.stats  # type: ignore[attr-defined]
    ranked = sorted(rows.items(), key=lambda item: item[1][3], reverse=True)[:count]
    for (filename, line, name), (_, calls, _, cumulative, _) in ranked:
        where = f"{Path(filename).name}:{line}({name})"
        yield f"    {calls / requests:8.1f} calls  {cumulative * 1e6 / requests:8.0f} µs cum  {where}"


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        loaded = await demo_app(url, 20, 50, redis_url=args.redis)
        app = loaded.app
        product_id = await untracked_product(app, loaded.key)
        placed: list[int] = []
        numbers = itertools.count()
        print(f"{'workload':24} {'calls/request':>13} {'statements':>10} {'profiled CPU µs':>15}")
        for name, make in workloads(product_id, placed).items():
            answers = []
            for _ in range(WARMUP):
                n = next(numbers)
                answers.append(await call(app, loaded.key, make(n), f"warm-{n}"))
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(args.requests):
                n = next(numbers)
                answers.append(await call(app, loaded.key, make(n), f"key-{n}"))
            profile.disable()
            # Counted apart: a listener on the engine's statements makes SQLAlchemy run the ones that would run on
            # the driver otherwise (db/direct_reads.py), so the profiled requests run without it.
            statements, stop = counting_statements(app)
            for _ in range(STATEMENT_REQUESTS):
                n = next(numbers)
                answers.append(await call(app, loaded.key, make(n), f"count-{n}"))
            stop()
            if name.startswith("placeOrder"):
                placed += [int(orjson.loads(answer)["data"]["placeOrder"]["order"]["id"]) for answer in answers]
            stats = pstats.Stats(profile)
            print(
                f"{name:24} {stats.total_calls / args.requests:13.0f} "  # type: ignore[attr-defined]
                f"{len(statements) / STATEMENT_REQUESTS:10.1f} "
                f"{stats.total_tt * 1e6 / args.requests:15.0f}"  # type: ignore[attr-defined]
            )
            if args.top:
                print("\n".join(top(stats, args.top, args.requests)))
            if args.dump:
                stats.dump_stats(f"{args.dump}-{name.split()[0]}.prof")
        await app.state.services.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis", default=None, help="REDIS_URL: idempotency and limits in Redis")
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--dump", default=None, help="write each workload's profile to <DUMP>-<workload>.prof")
    asyncio.run(main(parser.parse_args()))

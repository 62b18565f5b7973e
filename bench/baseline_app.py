"""The ceiling: a minimal Starlette + asyncpg handler for the benchmark's workloads.

It answers ``POST /graphql?w=<workload>`` with exactly the JSON storegraph returns for the matching benchmark
query (same fields, key order, row order and value formats), doing only what a competent hand-written
handler does: read ``first`` / ``id`` from the request's variables, run one or two prepared SQL statements on a
pooled connection, build plain dicts and dump them with orjson. No auth, no GraphQL parsing: it is the
ceiling that storegraph is compared with, not a competitor.

Configuration (environment):
    BENCH_PG_DSN    postgresql://postgres@127.0.0.1:5432/storegraph_bench
    BENCH_STORE_ID  the demo store's id (``bench/run.py`` passes it)
    BENCH_POOL_SIZE asyncpg pool size (min = max), default 32

Run it (bench/run.py does this for you)::

    BENCH_STORE_ID=1 uvicorn --app-dir bench baseline_app:app --port 8102
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/storegraph_bench")
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "32"))
MAX_PAGE_SIZE = 200

# Naive UTC datetimes as storegraph's DateTime scalar writes them: 2026-04-30T14:22:10Z (seconds, truncated).
DUMP_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS

CUSTOMERS_NESTED_SQL = """
SELECT id, first_name, last_name, phone, total_orders, total_spent
FROM customers
WHERE store_id = $1
ORDER BY created_at DESC, id DESC
LIMIT $2
"""

NEWEST_ORDERS_SQL = """
SELECT customer_id, id, order_number, status, total, created_at
FROM (
    SELECT customer_id, id, order_number, status, total, created_at,
           row_number() OVER (PARTITION BY customer_id ORDER BY created_at DESC, id DESC) AS position
    FROM orders
    WHERE store_id = $1 AND customer_id = ANY($2::bigint[])
) AS ranked
WHERE position <= $3
ORDER BY customer_id, position
"""

CUSTOMERS_FLAT_SQL = """
SELECT id, first_name, last_name, phone, email, total_orders, total_spent, created_at
FROM customers
WHERE store_id = $1
ORDER BY created_at DESC, id DESC
LIMIT $2
"""

ONE_CUSTOMER_SQL = """
SELECT id, first_name, last_name, phone, email, total_orders, total_spent, created_at
FROM customers
WHERE store_id = $1 AND id = $2
"""

NESTED_ORDERS_PER_CUSTOMER = 5  # the benchmark query asks for orders(first: 5)


def _store_id() -> int:
    raw = os.environ.get("BENCH_STORE_ID")
    if not raw:
        raise RuntimeError("BENCH_STORE_ID is not set (bench/run.py sets it to the demo store's id)")
    return int(raw)


async def _no_reset(_connection: asyncpg.Connection) -> None:
    """Skip asyncpg's per-release RESET ALL / UNLISTEN round trip: these handlers leave no session state."""


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.store_id = _store_id()
    app.state.pool = await asyncpg.create_pool(DSN, min_size=POOL_SIZE, max_size=POOL_SIZE, reset=_no_reset)
    try:
        yield
    finally:
        await app.state.pool.close()


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload, option=DUMP_OPTIONS), status_code=status, media_type="application/json")


def _error(message: str) -> Response:
    return _json({"errors": [{"message": message, "extensions": {"code": "validation_error"}}]}, 400)


async def _variables(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return {}
    variables = body.get("variables") if isinstance(body, dict) else None
    return variables if isinstance(variables, dict) else {}


def _first(variables: dict[str, Any]) -> int | None:
    first = variables.get("first", 50)
    if not isinstance(first, int) or isinstance(first, bool) or not 1 <= first <= MAX_PAGE_SIZE:
        return None
    return first


async def nested(request: Request, variables: dict[str, Any]) -> Response:
    """customers(first: $first) with each customer's newest 5 orders: two queries on one connection."""
    first = _first(variables)
    if first is None:
        return _error(f"first must be between 1 and {MAX_PAGE_SIZE}")
    store_id = request.app.state.store_id
    async with request.app.state.pool.acquire() as connection:
        customers = await connection.fetch(CUSTOMERS_NESTED_SQL, store_id, first)
        orders = await connection.fetch(
            NEWEST_ORDERS_SQL, store_id, [row[0] for row in customers], NESTED_ORDERS_PER_CUSTOMER
        )
    orders_by_customer: dict[int, list[dict[str, Any]]] = {}
    for customer_id, order_id, order_number, status, total, created_at in orders:
        edge = {
            "node": {
                "id": str(order_id),
                "orderNumber": order_number,
                "status": status.upper(),  # GraphQL enum name of the stored value
                "total": total,
                "createdAt": created_at,
            }
        }
        page = orders_by_customer.get(customer_id)
        if page is None:
            orders_by_customer[customer_id] = [edge]
        else:
            page.append(edge)
    edges = [
        {
            "node": {
                "id": str(customer_id),
                "firstName": first_name,
                "lastName": last_name,
                "phone": phone,
                "totalOrders": total_orders,
                "totalSpent": total_spent,
                "orders": {"edges": orders_by_customer.get(customer_id, [])},
            }
        }
        for customer_id, first_name, last_name, phone, total_orders, total_spent in customers
    ]
    return _json({"data": {"customers": {"edges": edges}}})


def _flat_customer(row: asyncpg.Record) -> dict[str, Any]:
    customer_id, first_name, last_name, phone, email, total_orders, total_spent, created_at = row
    return {
        "id": str(customer_id),
        "firstName": first_name,
        "lastName": last_name,
        "phone": phone,
        "email": email,
        "totalOrders": total_orders,
        "totalSpent": total_spent,
        "createdAt": created_at,
    }


async def flat_list(request: Request, variables: dict[str, Any]) -> Response:
    """customers(first: $first), flat: one query."""
    first = _first(variables)
    if first is None:
        return _error(f"first must be between 1 and {MAX_PAGE_SIZE}")
    async with request.app.state.pool.acquire() as connection:
        rows = await connection.fetch(CUSTOMERS_FLAT_SQL, request.app.state.store_id, first)
    edges = [{"node": _flat_customer(row)} for row in rows]
    return _json({"data": {"customers": {"edges": edges}}})


async def one_customer(request: Request, variables: dict[str, Any]) -> Response:
    """customer(id: $id): one query by primary key (scoped to the store)."""
    raw_id = variables.get("id")
    if not isinstance(raw_id, str | int) or not str(raw_id).isdigit():
        return _error("id must be a positive integer id")
    async with request.app.state.pool.acquire() as connection:
        row = await connection.fetchrow(ONE_CUSTOMER_SQL, request.app.state.store_id, int(raw_id))
    return _json({"data": {"customer": _flat_customer(row) if row is not None else None}})


WORKLOADS = {"nested": nested, "list": flat_list, "one": one_customer}


async def graphql(request: Request) -> Response:
    handler = WORKLOADS.get(request.query_params.get("w", "nested"))
    if handler is None:
        return _error(f"unknown workload; use ?w= one of {', '.join(WORKLOADS)}")
    return await handler(request, await _variables(request))


async def healthz(_request: Request) -> Response:
    return _json({"status": "ok"})


app = Starlette(
    routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])],
    lifespan=lifespan,
)

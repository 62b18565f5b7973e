"""The ceiling: a minimal Starlette + asyncpg handler for the benchmark's workloads.

It answers ``POST /graphql?w=<workload>`` with exactly the JSON storegraph returns for the matching benchmark
query (same fields, key order, row order and value formats), doing only what a competent hand-written
handler does: read ``first`` / ``id`` from the request's variables, run one or two prepared SQL statements on a
pooled connection, build plain dicts and dump them with orjson. No auth, no GraphQL parsing: it is the
ceiling that storegraph is compared with, not a competitor.

It also answers ``GET /v1/customers?limit=50[&cursor=...]`` as storegraph's REST layer does: the same items
(``CUSTOMER_SUMMARY`` of rest_compat/representations.py: snake_case names, integer ids, ``YYYY-MM-DD HH:MM:SS``
timestamps) in the same envelope (``data.items``, ``next_cursor``, ``has_more``, ``meta.request_id`` and
``api_version``, an ``X-Request-Id`` header). Its cursor is its own (the last row's sort key, base64url): the
benchmark compares ``data.items`` only. And ``GET /v1/customers/{id}``: the whole ``CUSTOMER`` representation in
one statement (the tags aggregated beside the row), the same bytes as storegraph's answer. Both REST routes keep a
sane inbound ``X-Request-Id`` as storegraph does, which is how the benchmark's check gets byte-identical bodies.

And it answers ``POST /v1/products`` with an ``Idempotency-Key`` as storegraph does on its idempotency store in
the database (the default without Redis), in three statements on one connection: reserve the key in
``idempotency_records`` (``INSERT ... ON CONFLICT DO NOTHING``), insert the product, keep the answer for replays.
A repeated key gets the kept answer back (or 409 while the first is running, 422 for another body). It keeps
the answer as it is where storegraph seals it (encrypts it), and derives the slug from the name alone: a slug
already taken is a 409, where storegraph picks the next free one.

Configuration (environment):
    BENCH_PG_DSN    postgresql://postgres@127.0.0.1:5432/storegraph_bench
    BENCH_STORE_ID  the demo store's id (``bench/run.py`` passes it)
    BENCH_POOL_SIZE asyncpg pool size (min = max), default 32

Run it (bench/run.py does this for you)::

    BENCH_STORE_ID=1 uvicorn --app-dir bench baseline_app:app --port 8102
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import baseline_writes
import orjson
import phonenumbers
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
WHERE store_id = $1 AND archived_at IS NULL
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
WHERE store_id = $1 AND archived_at IS NULL
ORDER BY created_at DESC, id DESC
LIMIT $2
"""

ONE_CUSTOMER_SQL = """
SELECT id, first_name, last_name, phone, email, total_orders, total_spent, created_at
FROM customers
WHERE store_id = $1 AND id = $2
"""

# Lists show the live customers (not archived), as storegraph's do by default.
# GET /v1/customers: CUSTOMER_SUMMARY's columns, one row more than the page to know whether there is a next one.
REST_CUSTOMERS_SQL = """
SELECT id, first_name, last_name, phone, email, wilaya_id, commune, total_orders, total_spent, is_banned,
       created_at, updated_at
FROM customers
WHERE store_id = $1 AND archived_at IS NULL
ORDER BY created_at DESC, id DESC
LIMIT $2
"""

REST_CUSTOMERS_AFTER_SQL = """
SELECT id, first_name, last_name, phone, email, wilaya_id, commune, total_orders, total_spent, is_banned,
       created_at, updated_at
FROM customers
WHERE store_id = $1 AND archived_at IS NULL AND (created_at, id) < ($3, $4)
ORDER BY created_at DESC, id DESC
LIMIT $2
"""

# GET /v1/customers/{id}: CUSTOMER's fields in its order, each as REST writes it (timestamps truncated to the second),
# the tags in storegraph's order (case-insensitive, by their key); dial_code is filled in from the phone.
_REST_TIME = "'YYYY-MM-DD HH24:MI:SS'"
REST_CUSTOMER_SQL = f"""
SELECT c.id, c.first_name, c.last_name, c.phone, c.email, c.wilaya_id, c.commune, c.total_orders, c.total_spent,
       c.is_banned, to_char(c.created_at, {_REST_TIME}) AS created_at,
       to_char(c.updated_at, {_REST_TIME}) AS updated_at, c.address, c.notes, c.fraud_score,
       to_char(c.last_order_at, {_REST_TIME}) AS last_order_at,
       ARRAY(SELECT t.name FROM customer_tags t WHERE t.store_id = $1 AND t.customer_id = c.id ORDER BY t.name_key)
           AS tags,
       c.accepts_marketing, c.gender, to_char(c.birth_date, 'YYYY-MM-DD') AS birth_date, c.locale,
       NULL::int AS dial_code, c.metadata, c.loyalty_balance, c.is_loyalty_enabled, c.is_house_account_enabled,
       c.house_account_limit, c.house_account_balance, to_char(c.archived_at, {_REST_TIME}) AS archived_at,
       to_char(c.erased_at, {_REST_TIME}) AS erased_at
FROM customers c
WHERE c.store_id = $1 AND c.id = $2
"""
STORE_REGION_SQL = "SELECT phone_region FROM stores WHERE id = $1"

# POST /v1/products: the three statements. Its keys are scoped apart from storegraph's (which are "<key id>:...").
RESERVE_SQL = """
INSERT INTO idempotency_records (scope_key, fingerprint, owner, sealed, expires_at)
VALUES ($1, $2, $3, NULL, $4)
ON CONFLICT (scope_key) DO NOTHING
RETURNING scope_key
"""
HELD_SQL = "SELECT fingerprint, sealed FROM idempotency_records WHERE scope_key = $1"
INSERT_PRODUCT_SQL = """
INSERT INTO products (store_id, name, slug, description, price, compare_price, cost_price, sku, track_stock,
                      stock_quantity, low_stock_alert, status, created_at, updated_at)
VALUES ($1, $2, $3, NULL, $4, NULL, NULL, NULL, false, 0, 5, 'draft', $5, $5)
RETURNING id
"""
KEEP_SQL = "UPDATE idempotency_records SET sealed = $2 WHERE scope_key = $1"
IDEMPOTENCY_HOURS = 24
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # an inbound X-Request-Id kept as storegraph keeps it
BASELINE_SCOPE = "baseline:"

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
    # The region the store's phones are stored for (national digits there, else E.164), for ``dial_code``.
    app.state.phone_region = await app.state.pool.fetchval(STORE_REGION_SQL, app.state.store_id)
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


# place_order: bench/writes.py's checkout, in baseline_writes.py with the order PATCH.
WORKLOADS = {"nested": nested, "list": flat_list, "one": one_customer, "place_order": baseline_writes.place_order}


def _rest_error(message: str, field: str) -> Response:
    error = {"code": "validation_error", "message": message, "details": [{"field": field, "message": message}]}
    return _json({"error": error}, 400)


def _rest_cursor(created_at: datetime, customer_id: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{customer_id}".encode()).decode()


def _rest_after(cursor: str) -> tuple[datetime, int] | None:
    try:
        created_at, _, customer_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(created_at), int(customer_id)
    except ValueError:
        return None


async def rest_customers(request: Request) -> Response:
    """GET /v1/customers?limit=50: one query (a keyset page), the REST envelope."""
    raw_limit = request.query_params.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE_SIZE:
        return _rest_error(f"limit must be between 1 and {MAX_PAGE_SIZE}", "limit")
    limit = int(raw_limit)
    cursor = request.query_params.get("cursor")
    after = _rest_after(cursor) if cursor else None
    if cursor and after is None:
        return _rest_error("cursor is not a next_cursor of this endpoint", "cursor")
    store_id = request.app.state.store_id
    async with request.app.state.pool.acquire() as connection:
        if after is None:
            rows = await connection.fetch(REST_CUSTOMERS_SQL, store_id, limit + 1)
        else:
            rows = await connection.fetch(REST_CUSTOMERS_AFTER_SQL, store_id, limit + 1, *after)
    has_more = len(rows) > limit
    items = [
        {
            "id": customer_id,
            "first_name": first_name,
            "last_name": last_name,
            "phone": phone,
            "email": email,
            "wilaya_id": wilaya_id,
            "commune": commune,
            "total_orders": total_orders,
            "total_spent": total_spent,
            "is_banned": is_banned,
            # Naive UTC, truncated to the second, as storegraph's DateTime and then the REST layer format it.
            "created_at": created_at.isoformat(" ", "seconds"),
            "updated_at": updated_at.isoformat(" ", "seconds"),
        }
        for (
            customer_id,
            first_name,
            last_name,
            phone,
            email,
            wilaya_id,
            commune,
            total_orders,
            total_spent,
            is_banned,
            created_at,
            updated_at,
        ) in rows[:limit]
    ]
    last = rows[limit - 1] if has_more else None
    request_id = _request_id(request)
    payload = {
        "data": {
            "items": items,
            "next_cursor": _rest_cursor(last[10], last[0]) if last is not None else None,
            "has_more": has_more,
        },
        "meta": {"request_id": request_id, "api_version": "v1"},
    }
    return Response(orjson.dumps(payload), media_type="application/json", headers={"x-request-id": request_id})


def _request_id(request: Request) -> str:
    """The client's ``X-Request-Id`` when it is sane (as storegraph keeps it), else a new one."""
    inbound = request.headers.get("x-request-id")
    return inbound if inbound and SANE_REQUEST_ID.fullmatch(inbound) else f"req_{secrets.token_hex(12)}"


def _dial_code(phone: str, region: str) -> int | None:
    try:
        code = phonenumbers.parse(phone, region).country_code
    except phonenumbers.NumberParseException:
        return None
    return int(code) if code else None


async def rest_customer(request: Request) -> Response:
    """GET /v1/customers/{id}: one query by primary key (scoped to the store), the REST envelope."""
    async with request.app.state.pool.acquire() as connection:
        row = await connection.fetchrow(REST_CUSTOMER_SQL, request.app.state.store_id, request.path_params["id"])
    if row is None:
        return _json({"error": {"code": "not_found", "message": "no such customer"}}, 404)  # never asked for
    customer = dict(row.items())  # the gender is stored as REST writes it (the GraphQL enum's name, lowercased)
    customer["dial_code"] = _dial_code(customer["phone"], request.app.state.phone_region)
    customer["metadata"] = orjson.loads(customer["metadata"])  # asyncpg hands jsonb over as its text
    request_id = _request_id(request)
    payload = {"data": customer, "meta": {"request_id": request_id, "api_version": "v1"}}
    return Response(orjson.dumps(payload), media_type="application/json", headers={"x-request-id": request_id})


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


async def create_product(request: Request) -> Response:
    """POST /v1/products {"name", "price"} with an Idempotency-Key: reserve, insert, keep the answer."""
    key = request.headers.get("idempotency-key")
    if not key:
        return _rest_error("Idempotency-Key is required", "Idempotency-Key")
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _rest_error("the body is not JSON", "body")
    name, price = (
        body.get("name") if isinstance(body, dict) else None,
        body.get("price") if isinstance(body, dict) else None,
    )
    if not isinstance(name, str) or not name.strip() or not isinstance(price, int) or price < 0:
        return _rest_error("name and a price >= 0 are required", "body")
    scope = f"{BASELINE_SCOPE}{key}"
    fingerprint = hashlib.sha256(b"POST /v1/products " + raw).hexdigest()
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    store_id = request.app.state.store_id
    async with request.app.state.pool.acquire() as connection:
        reserved = await connection.fetchval(
            RESERVE_SQL, scope, fingerprint, secrets.token_hex(8), now + timedelta(hours=IDEMPOTENCY_HOURS)
        )
        if reserved is None:
            held = await connection.fetchrow(HELD_SQL, scope)
            if held["fingerprint"] != fingerprint:
                return _rest_error("the Idempotency-Key was used for another request", "Idempotency-Key")
            if held["sealed"] is None:
                return _json({"error": {"code": "idempotency_key_in_use", "message": "still running"}}, 409)
            return Response(held["sealed"], 201, media_type="application/json", headers={"idempotent-replayed": "true"})
        slug = _slug(name)
        try:
            product_id = await connection.fetchval(INSERT_PRODUCT_SQL, store_id, name, slug, price, now)
        except asyncpg.UniqueViolationError:
            await connection.execute("DELETE FROM idempotency_records WHERE scope_key = $1", scope)
            return _json({"error": {"code": "conflict", "message": "slug already used"}}, 409)
        request_id = f"req_{secrets.token_hex(12)}"
        stamp = now.isoformat(" ", "seconds")
        answer = orjson.dumps(
            {
                "data": {
                    "id": product_id,
                    "name": name,
                    "slug": slug,
                    "description": None,
                    "pricing": {"price": price, "compare_price": None, "cost_price": None},
                    "inventory": {"sku": None, "track_stock": False, "stock_quantity": 0, "low_stock_alert": 5},
                    "status": "draft",
                    "created_at": stamp,
                    "updated_at": stamp,
                },
                "meta": {"request_id": request_id, "api_version": "v1"},
            }
        )
        await connection.execute(KEEP_SQL, scope, answer)
    return Response(answer, 201, media_type="application/json", headers={"x-request-id": request_id})


async def graphql(request: Request) -> Response:
    handler = WORKLOADS.get(request.query_params.get("w", "nested"))
    if handler is None:
        return _error(f"unknown workload; use ?w= one of {', '.join(WORKLOADS)}")
    return await handler(request, await _variables(request))


async def healthz(_request: Request) -> Response:
    return _json({"status": "ok"})


app = Starlette(
    routes=[
        Route("/graphql", graphql, methods=["POST"]),
        Route("/v1/customers", rest_customers, methods=["GET"]),
        Route("/v1/customers/{id:int}", rest_customer, methods=["GET"]),
        Route("/v1/products", create_product, methods=["POST"]),
        Route("/v1/orders/{order_id:int}", baseline_writes.update_order, methods=["PATCH"]),
        Route("/healthz", healthz, methods=["GET"]),
    ],
    lifespan=lifespan,
)

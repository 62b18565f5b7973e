"""The raw ceiling for bench/writes.py: ``PATCH /v1/orders/{id}`` and ``placeOrder`` by hand on asyncpg, running
the statements storegraph's writes run (tests/rest_compat/test_write_statement_counts.py counts them), without
authentication, limits, usage counting, GraphQL or the idempotency record's sealing (kept in the clear).

Mounted by ``baseline_app.py`` (``/v1/orders/{id}`` and ``/graphql?w=place_order``), on its pool.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from starlette.requests import Request
from starlette.responses import Response

IDEMPOTENCY_HOURS = 24
SCOPE = "baseline:"

RESERVE_SQL = """
INSERT INTO idempotency_records (scope_key, fingerprint, owner, sealed, expires_at)
VALUES ($1, $2, $3, NULL, $4)
ON CONFLICT (scope_key) DO NOTHING
RETURNING scope_key
"""
KEEP_SQL = "UPDATE idempotency_records SET sealed = $2 WHERE scope_key = $1"

LOCK_ORDER_SQL = """
SELECT id, store_id, customer_id, order_number, status, payment_status, payment_method, customer_name,
       customer_phone, customer_email, wilaya_id, commune, address, delivery_type, subtotal, delivery_fee, total,
       notes, created_at, updated_at
FROM orders WHERE id = $1 AND store_id = $2 FOR UPDATE
"""
SET_STATUS_SQL = "UPDATE orders SET status = $2, updated_at = $3 WHERE id = $1"
ADD_CHANGE_SQL = """
INSERT INTO order_status_changes (order_id, field, from_status, to_status, note, actor_key_id, created_at)
VALUES ($1, $2, $3, $4, NULL, NULL, $5) RETURNING id
"""
ITEMS_SQL = """
SELECT id, order_id, product_id, product_name, sku, unit_price, quantity, total
FROM order_items WHERE order_id = $1 ORDER BY id
"""
HISTORY_SQL = """
SELECT field, from_status, to_status, note, created_at FROM order_status_changes WHERE order_id = $1 ORDER BY id
"""
OUTBOX_SQL = """
INSERT INTO outbox_events (store_id, public_id, event, payload, created_at, dispatched_at)
VALUES ($1, $2, $3, $4, $5, NULL) RETURNING id
"""

STORE_SQL = "SELECT phone_region, settings FROM stores WHERE id = $1"
PRODUCTS_SQL = "SELECT id, name, sku, price, status, track_stock FROM products WHERE store_id = $1 AND id = ANY($2)"
BANNED_SQL = "SELECT is_banned FROM customers WHERE store_id = $1 AND phone = $2"
ZONE_FEE_SQL = """
SELECT delivery_zones.home_fee, delivery_zones.desk_fee FROM delivery_zones
JOIN zone_wilayas ON zone_wilayas.zone_id = delivery_zones.id
WHERE zone_wilayas.store_id = $1 AND zone_wilayas.wilaya_id = $2
"""
UPSERT_CUSTOMER_SQL = """
INSERT INTO customers (store_id, phone, first_name, last_name, wilaya_id, total_orders, total_spent, last_order_at,
                       fraud_score, is_banned, created_at, updated_at)
VALUES ($1, $2, $3, '', $4, 1, $5, $6, 0, false, $6, $6)
ON CONFLICT (store_id, phone) DO UPDATE SET first_name = excluded.first_name, wilaya_id = excluded.wilaya_id,
    total_orders = customers.total_orders + 1, total_spent = customers.total_spent + excluded.total_spent,
    last_order_at = excluded.last_order_at, updated_at = excluded.updated_at, archived_at = NULL
WHERE customers.is_banned = false
RETURNING id
"""
INSERT_ORDER_SQL = """
INSERT INTO orders (store_id, customer_id, order_number, status, payment_status, payment_method, customer_name,
                    customer_phone, wilaya_id, delivery_type, subtotal, delivery_fee, total, created_at, updated_at)
VALUES ($1, $2, $3, 'pending', 'pending', 'cod', $4, $5, $6, 'home', $7, $8, $9, $10, $10)
ON CONFLICT (store_id, order_number) DO NOTHING
RETURNING id, created_at
"""
ORDER_NUMBER_ATTEMPTS = 8
INSERT_ITEM_SQL = """
INSERT INTO order_items (order_id, product_id, product_name, sku, unit_price, quantity, total)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
"""
TALLIES_SQL = """
SELECT coalesce(sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN payment_status = 'failed' THEN 1 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN created_at >= $3 THEN 1 ELSE 0 END), 0)
FROM orders WHERE customer_id = $1 AND store_id = $2
"""
SHARED_DEVICE_SQL = """
SELECT count(*) FROM customers WHERE store_id = $1 AND id != $2
  AND device_fingerprint = nullif((SELECT device_fingerprint FROM customers WHERE id = $2), '')
"""
FRAUD_SQL = "UPDATE customers SET fraud_score = $2, updated_at = $3 WHERE id = $1"
CUSTOMER_SQL = """
SELECT id, first_name, last_name, phone, total_orders, total_spent FROM customers WHERE store_id = $1 AND id = $2
"""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(" ", "seconds")


def _refused(message: str, status: int = 422) -> Response:
    body = {"error": {"code": "validation_error", "message": message}, "meta": {"api_version": "v1"}}
    return Response(orjson.dumps(body), status, media_type="application/json")


async def _reserve(connection: asyncpg.Connection, key: str | None, what: bytes) -> str | None:
    """The key's scope when this request reserved it; ``None`` when it is missing or held (the benchmark never
    replays, so a held key is an error here)."""
    if not key:
        return None
    scope = f"{SCOPE}{key}"
    fingerprint = hashlib.sha256(what).hexdigest()
    expires = _now() + timedelta(hours=IDEMPOTENCY_HOURS)
    reserved = await connection.fetchval(RESERVE_SQL, scope, fingerprint, secrets.token_hex(8), expires)
    return scope if reserved is not None else None


async def update_order(request: Request) -> Response:
    """PATCH /v1/orders/{id} {"status": ...}: reserve, lock, update, history, items, event, history, keep."""
    raw = await request.body()
    body = orjson.loads(raw)
    order_id, status = int(request.path_params["order_id"]), body.get("status")
    store_id = request.app.state.store_id
    async with request.app.state.pool.acquire() as connection:
        scope = await _reserve(connection, request.headers.get("idempotency-key"), b"PATCH " + raw)
        if scope is None:
            return _refused("an Idempotency-Key of its own is required")
        async with connection.transaction():
            order = await connection.fetchrow(LOCK_ORDER_SQL, order_id, store_id)
            if order is None or order["status"] != "pending" or status != "confirmed":
                await connection.execute("DELETE FROM idempotency_records WHERE scope_key = $1", scope)
                return _refused("only pending -> confirmed here")
            now = _now()
            await connection.execute(SET_STATUS_SQL, order_id, status, now)
            await connection.fetchval(ADD_CHANGE_SQL, order_id, "status", order["status"], status, now)
            items = [dict(item) for item in await connection.fetch(ITEMS_SQL, order_id)]
            order_body = {**dict(order), "status": status, "updated_at": now}
            event = {**order_body, "items": items}
            event_json = orjson.dumps(event, default=_stamp).decode()
            await connection.fetchval(OUTBOX_SQL, store_id, secrets.token_hex(12), "order.confirmed", event_json, now)
            history = await connection.fetch(HISTORY_SQL, order_id)
        answer = _answer({**order_body, "items": items, "status_history": [dict(change) for change in history]})
        await connection.execute(KEEP_SQL, scope, answer)
    return Response(answer, 200, media_type="application/json")


async def place_order(request: Request, variables: dict[str, Any]) -> Response:
    """placeOrder with one line of an untracked product: the checkout's statements, by hand."""
    data = variables["input"]
    buyer, line = data["customer"], data["lines"][0]
    product_id, quantity = int(line["productId"]), int(line.get("quantity", 1))
    store_id = request.app.state.store_id
    async with request.app.state.pool.acquire() as connection:
        what = b"placeOrder " + orjson.dumps(variables)
        scope = await _reserve(connection, request.headers.get("idempotency-key"), what)
        if scope is None:
            return _refused("an Idempotency-Key of its own is required")
        async with connection.transaction():
            await connection.fetchrow(STORE_SQL, store_id)
            product = (await connection.fetch(PRODUCTS_SQL, store_id, [product_id]))[0]
            if await connection.fetchval(BANNED_SQL, store_id, buyer["phone"]):
                return _refused("banned")
            fee = await connection.fetchrow(ZONE_FEE_SQL, store_id, buyer["wilayaId"])
            subtotal = product["price"] * quantity
            delivery_fee = fee["home_fee"] if fee is not None else 0
            now = _now()
            total = subtotal + delivery_fee
            customer_id = await connection.fetchval(
                UPSERT_CUSTOMER_SQL, store_id, buyer["phone"], buyer["firstName"], buyer["wilayaId"], total, now
            )
            for _ in range(ORDER_NUMBER_ATTEMPTS):  # a number the store used already: draw again, as storegraph does
                number = f"ORD-{store_id}-{now:%Y%m%d}-{secrets.token_hex(2).upper()}"
                order = await connection.fetchrow(
                    INSERT_ORDER_SQL, store_id, customer_id, number, buyer["firstName"], buyer["phone"],
                    buyer["wilayaId"], subtotal, delivery_fee, total, now,
                )  # fmt: skip
                if order is not None:
                    break
            await connection.fetchval(
                INSERT_ITEM_SQL, order["id"], product_id, product["name"], product["sku"], product["price"],
                quantity, subtotal,
            )  # fmt: skip
            await connection.fetchval(ADD_CHANGE_SQL, order["id"], "status", None, "pending", now)
            await connection.fetchrow(TALLIES_SQL, customer_id, store_id, now - timedelta(hours=24))
            await connection.fetchval(SHARED_DEVICE_SQL, store_id, customer_id)
            await connection.execute(FRAUD_SQL, customer_id, 0, now)
            event = orjson.dumps({"id": order["id"], "order_number": number, "total": total}).decode()
            await connection.fetchval(OUTBOX_SQL, store_id, secrets.token_hex(12), "order.created", event, now)
            customer = await connection.fetchrow(CUSTOMER_SQL, store_id, customer_id)
        result = {
            "order": {"id": str(order["id"]), "orderNumber": number, "status": "PENDING", "total": total},
            "customer": {"id": str(customer["id"]), "totalOrders": customer["total_orders"]},
            "userErrors": [],
        }
        answer = orjson.dumps({"data": {"placeOrder": result}})
        await connection.execute(KEEP_SQL, scope, answer)
    return Response(answer, 200, media_type="application/json")


def _answer(order: dict[str, Any]) -> bytes:
    return orjson.dumps({"data": order, "meta": {"api_version": "v1"}}, default=_stamp)

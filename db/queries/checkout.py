"""Checkout's statements: what it reads of the store and the products, and the order and its items it writes."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_reads import PreparedRead
from db.direct_writes import PreparedWrite
from db.models import Order, OrderItem, Product, Store
from db.queries.by_ids import prepared_by_ids
from db.queries.executor import WriteTransaction, core_rows, core_write, run_core
from db.queries.orders import ORDER_COLUMNS


async def checkout_store(session: WriteTransaction, store_id: int) -> Row[Any] | None:
    """The store's ``phone_region`` and ``settings``: what checkout needs of it."""
    rows = await core_rows(session, _CHECKOUT_STORE, {"store_id": store_id})
    return rows[0] if rows else None


async def checkout_products(session: AsyncSession, store_id: int, product_ids: list[int]) -> dict[int, Row[Any]]:
    """The store's products among ``product_ids``, keyed by id, with what an order line copies and checks."""
    rows = await core_rows(session, _CHECKOUT_PRODUCTS, {"store_id": store_id, "ids": product_ids})
    return {row.id: row for row in rows}


# Built once: every checkout runs them.
_CHECKOUT_STORE = PreparedRead(select(Store.phone_region, Store.settings).where(Store.id == bindparam("store_id")))
_CHECKOUT_PRODUCTS = prepared_by_ids(
    lambda chosen: select(
        Product.id, Product.name, Product.sku, Product.price, Product.status, Product.track_stock
    ).where(Product.store_id == bindparam("store_id"), chosen),
    Product.id,
)


ORDER_NUMBER_ATTEMPTS = 8


def order_number(store_id: int, when: datetime) -> str:
    return f"ORD-{store_id}-{when:%Y%m%d}-{secrets.token_hex(2).upper()}"


async def insert_order(
    session: AsyncSession,
    *,
    store_id: int,
    customer_id: int,
    status: str,
    payment_status: str,
    payment_method: str,
    customer_name: str,
    customer_phone: str,
    customer_email: str | None,
    wilaya_id: int,
    commune: str | None,
    address: str | None,
    delivery_type: str,
    subtotal: int,
    delivery_fee: int,
    total: int,
    notes: str | None,
    now: datetime,
) -> Row[Any]:
    """Inserts the order under a fresh random number, drawing again if the store already used it, and answers it
    as ``orders_by_ids`` does, from the insert itself.

    A number taken makes ``ON CONFLICT DO NOTHING`` insert nothing: no error, so no savepoint is needed to undo an
    attempt without the caller's transaction.
    """
    values = {
        "store_id": store_id,
        "customer_id": customer_id,
        "status": status,
        "payment_status": payment_status,
        "payment_method": payment_method,
        "customer_name": customer_name,
        "customer_phone": customer_phone,
        "customer_email": customer_email,
        "wilaya_id": wilaya_id,
        "commune": commune,
        "address": address,
        "delivery_type": delivery_type,
        "subtotal": subtotal,
        "delivery_fee": delivery_fee,
        "total": total,
        "notes": notes,
        "created_at": now,
        "updated_at": now,
    }
    statement = _order_insert(session.get_bind().dialect.name)
    for _ in range(ORDER_NUMBER_ATTEMPTS):
        parameters = {**values, "order_number": order_number(store_id, now)}
        rows = await core_write(session, statement, parameters)
        if rows:
            row: Row[Any] = rows[0]
            return row
    raise RuntimeError(f"no free order number after {ORDER_NUMBER_ATTEMPTS} attempts")


@functools.cache
def _order_insert(dialect: str) -> PreparedWrite:
    """The order's insert, built once per dialect: its columns are the keys of the parameters it runs with."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    number = [Order.store_id, Order.order_number]
    return PreparedWrite(insert(Order).on_conflict_do_nothing(index_elements=number).returning(*ORDER_COLUMNS))


@dataclass(frozen=True, slots=True)
class NewOrderItem:
    """An order line as checkout priced it: the product's name, SKU and price are copied into the order."""

    product_id: int
    product_name: str
    sku: str | None
    unit_price: int
    quantity: int


@dataclass(frozen=True, slots=True)
class WrittenOrderItem:
    """An order line as it was inserted (its columns but the id)."""

    order_id: int
    product_id: int
    product_name: str
    sku: str | None
    unit_price: int
    quantity: int
    total: int


async def insert_order_items(
    session: AsyncSession, order_id: int, lines: Sequence[NewOrderItem]
) -> list[WrittenOrderItem]:
    """Inserts the order's items, in line order, in one statement."""
    items = [
        WrittenOrderItem(
            order_id=order_id,
            product_id=line.product_id,
            product_name=line.product_name,
            sku=line.sku,
            unit_price=line.unit_price,
            quantity=line.quantity,
            total=line.unit_price * line.quantity,
        )
        for line in lines
    ]
    if len(items) == 1:
        # Most orders have one line: a single row's insert, which runs on the driver (``core_write``).
        await core_write(session, _INSERT_ONE_ORDER_ITEM, _item_values(items[0]))
    else:
        await run_core(session, _INSERT_ORDER_ITEM, [_item_values(item) for item in items])
    return items


def _item_values(item: WrittenOrderItem) -> dict[str, Any]:
    return {
        "order_id": item.order_id,
        "product_id": item.product_id,
        "product_name": item.product_name,
        "sku": item.sku,
        "unit_price": item.unit_price,
        "quantity": item.quantity,
        "total": item.total,
    }


# Built once, run on the connection: the ORM's unit of work for a few rows cost several times their statement.
_INSERT_ORDER_ITEM = insert(OrderItem)
_INSERT_ONE_ORDER_ITEM = PreparedWrite(_INSERT_ORDER_ITEM)

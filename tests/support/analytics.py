"""Orders written as analytics tests need them (any status, total, time and lines, products deleted or not), and
a reference of ``Customer.analytics`` computed in plain Python from the same rows, as docs/crm.md states it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, Order, OrderItem, Product, Store

STATUSES = ("pending", "confirmed", "shipped", "delivered", "cancelled")
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Line:
    """An order line: of ``product`` (its copied name ``name`` unless given), or of no product (one deleted
    before the line was read: ``product_id`` null, only the copied name)."""

    product: Product | None
    quantity: int
    name: str | None = None


async def add_order(
    session: AsyncSession,
    store: Store,
    customer: Customer,
    *,
    total: int,
    status: str = "pending",
    created_at: datetime,
    lines: tuple[Line, ...] = (),
) -> Order:
    order = Order(
        store_id=store.id,
        customer_id=customer.id,
        order_number=f"ORD-{store.id}-{created_at:%Y%m%d}-{next(_numbers) % 0xFFFF:04X}",
        status=status,
        customer_name="Amine Benali",
        customer_phone=customer.phone,
        subtotal=total,
        delivery_fee=0,
        total=total,
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(order)
    await session.flush()
    for line in lines:
        name = line.name or (line.product.name if line.product is not None else "Gone")
        session.add(
            OrderItem(
                order_id=order.id,
                product_id=None if line.product is None else line.product.id,
                product_name=name,
                unit_price=100,
                quantity=line.quantity,
                total=100 * line.quantity,
            )
        )
    await session.flush()
    return order


@dataclass(frozen=True)
class RefLine:
    line_id: int
    product_id: int | None
    product_name: str
    quantity: int


@dataclass(frozen=True)
class RefOrder:
    order_id: int
    status: str
    total: int
    created_at: datetime
    lines: tuple[RefLine, ...]


def reference_analytics(orders: list[RefOrder], limit: int = 5) -> dict[str, Any]:
    """``Customer.analytics`` of a customer with these orders, as GraphQL answers it (ids as strings, statuses as
    enum names, times as ISO 8601 with Z), ``product`` left out."""
    counted = [order for order in orders if order.status != "cancelled"]
    spent = sum(order.total for order in counted)
    groups: dict[tuple[Any, ...], list[tuple[RefOrder, RefLine]]] = {}
    for order in counted:
        for line in order.lines:
            key = ("id", line.product_id) if line.product_id is not None else ("name", line.product_name)
            groups.setdefault(key, []).append((order, line))
    ranked = []
    for members in groups.values():
        latest = max(members, key=lambda member: member[1].line_id)[1]
        ranked.append(
            (
                -sum(line.quantity for _, line in members),
                -len({order.order_id for order, _ in members}),
                -latest.line_id,
                {
                    "productId": None if latest.product_id is None else str(latest.product_id),
                    "productName": latest.product_name,
                    "quantity": sum(line.quantity for _, line in members),
                    "orderCount": len({order.order_id for order, _ in members}),
                },
            )
        )
    ranked.sort(key=lambda entry: entry[:3])
    return {
        "totalOrders": len(counted),
        "totalSpent": spent,
        # Half up by exact fractions: a second way to the rule's integer arithmetic.
        "averageOrder": int(Fraction(spent, len(counted)) + Fraction(1, 2)) if counted else None,
        "firstOrderAt": _iso(min((order.created_at for order in counted), default=None)),
        "lastOrderAt": _iso(max((order.created_at for order in counted), default=None)),
        "ordersByStatus": [
            {"status": status.upper(), "count": sum(order.status == status for order in orders)} for status in STATUSES
        ],
        "topProducts": [entry[3] for entry in ranked[:limit]],
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


async def ref_order(session: AsyncSession, order: Order) -> RefOrder:
    """The reference's view of an order already flushed, with its lines as the database holds them."""
    lines = (await session.execute(select(OrderItem).where(OrderItem.order_id == order.id))).scalars()
    return RefOrder(
        order_id=order.id,
        status=order.status,
        total=order.total,
        created_at=order.created_at,
        lines=tuple(RefLine(line.id, line.product_id, line.product_name, line.quantity) for line in lines),
    )

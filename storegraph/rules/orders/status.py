"""The order status machine: pending → confirmed → shipped → delivered, and pending/confirmed → cancelled;
payment: pending → paid | failed, failed → paid, paid → refunded. Every step is recorded with its actor key;
a status step fires its webhook; cancelling returns tracked stock, takes the order out of the totals and credits a
house-account order back; delivering earns the customer's loyalty points."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row

from db.queries.checkout import checkout_store
from db.queries.customers import remove_order_from_totals
from db.queries.executor import WriteTransaction
from db.queries.orders import (
    insert_status_change,
    items_of_order,
    lock_order_row,
    set_order_statuses,
)
from storegraph.platform.errors import InvalidStatusTransition, NotFound
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import Problems
from storegraph.rules.catalog.stock import return_stock
from storegraph.rules.customers.fraud import refresh_fraud_score
from storegraph.rules.customers.house_account import credit_cancelled_order
from storegraph.rules.customers.loyalty import earn_for_delivered_order
from storegraph.rules.event_bodies import order_data
from storegraph.rules.outbox import EventName, record_event
from storegraph.rules.statuses import OrderStatus, PaymentStatus

MAX_NOTE = 1000

STATUS_STEPS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

PAYMENT_STEPS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.PAID, PaymentStatus.FAILED}),
    PaymentStatus.FAILED: frozenset({PaymentStatus.PAID}),
    PaymentStatus.PAID: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.REFUNDED: frozenset(),
}

STATUS_EVENTS: dict[OrderStatus, EventName] = {
    OrderStatus.CONFIRMED: EventName.ORDER_CONFIRMED,
    OrderStatus.SHIPPED: EventName.ORDER_SHIPPED,
    OrderStatus.DELIVERED: EventName.ORDER_DELIVERED,
    OrderStatus.CANCELLED: EventName.ORDER_CANCELLED,
}


@dataclass(frozen=True, slots=True)
class StatusChangeRequest:
    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ChangedOrder:
    """The order as changed (every column by name, as a read would answer it: the row is locked and the change set
    every value it changed), and its items when the change read them (as the order's ``items`` field reads them)."""

    order: SimpleNamespace
    items: list[Row[Any]] | None


def can_move(current: OrderStatus, requested: OrderStatus) -> bool:
    return requested in STATUS_STEPS[current]


def can_move_payment(current: PaymentStatus, requested: PaymentStatus) -> bool:
    return requested in PAYMENT_STEPS[current]


async def change_order_status(
    session: WriteTransaction, store_id: int, order_id: int, request: StatusChangeRequest, actor_key_id: int | None
) -> ChangedOrder:
    note = _validated(request)
    # The row, not an entity: the change is two statements of its own, without the ORM's unit of work.
    locked = await lock_order_row(session, store_id, order_id)
    if locked is None:
        raise NotFound("Order", order_id)
    current, current_payment = OrderStatus(locked.status), PaymentStatus(locked.payment_status)
    # Check both before changing either: a request is applied whole or not at all.
    if request.status is not None and not can_move(current, request.status):
        raise InvalidStatusTransition("status", current.value, request.status.value)
    if request.payment_status is not None and not can_move_payment(current_payment, request.payment_status):
        raise InvalidStatusTransition("paymentStatus", current_payment.value, request.payment_status.value)
    now = utcnow()
    # What the rules after the change and the payload read of the order: its columns by name, not a transient
    # ``Order``, whose instrumented attributes (each set, each read) cost a good part of the change.
    order = SimpleNamespace(**locked._asdict())
    order.updated_at = now
    if request.payment_status is not None:
        order.payment_status = request.payment_status.value
    if request.status is not None:
        order.status = request.status.value
    await set_order_statuses(
        session, order.id, status=order.status, payment_status=order.payment_status, updated_at=now
    )
    if request.payment_status is not None:
        await insert_status_change(
            session,
            order_id=order.id,
            field="payment_status",
            from_status=current_payment.value,
            to_status=request.payment_status.value,
            note=note,
            actor_key_id=actor_key_id,
            created_at=now,
        )
    if request.status is not None:
        await insert_status_change(
            session,
            order_id=order.id,
            field="status",
            from_status=current.value,
            to_status=request.status.value,
            note=note,
            actor_key_id=actor_key_id,
            created_at=now,
        )
    items = None
    if request.status is not None:
        items = await _after_status_change(session, store_id, order, request.status, actor_key_id)
    if order.customer_id is not None and (
        request.status is OrderStatus.CANCELLED or request.payment_status is PaymentStatus.FAILED
    ):
        await refresh_fraud_score(session, store_id, order.customer_id)
    return ChangedOrder(order, items)


def _validated(request: StatusChangeRequest) -> str | None:
    problems = Problems()
    if request.status is None and request.payment_status is None:
        problems.add("status", "blank", "give a status, a paymentStatus or both")
    note = problems.text("note", request.note, max_length=MAX_NOTE)
    problems.raise_if_any()
    return note


async def _after_status_change(
    session: WriteTransaction, store_id: int, order: SimpleNamespace, status: OrderStatus, actor_key_id: int | None
) -> list[Row[Any]]:
    """The order's items, which it reads for the event."""
    items = await items_of_order(session, order.id)
    if status is OrderStatus.CANCELLED:
        # Products by id, then the customer: the lock order checkout uses too (see storegraph/rules/orders/checkout.py).
        for item in sorted(items, key=lambda item: item.product_id or 0):
            if item.product_id is not None:
                await return_stock(session, store_id, item.product_id, item.quantity)
        if order.customer_id is not None:
            await remove_order_from_totals(
                session, order.customer_id, order.total, cancelled_status=OrderStatus.CANCELLED.value
            )
            await credit_cancelled_order(session, store_id, order, actor_key_id)
    if status is OrderStatus.DELIVERED:
        store = await checkout_store(session, store_id)
        await earn_for_delivered_order(session, store_id, order, store.settings if store else None, actor_key_id)
    await record_event(session, store_id, STATUS_EVENTS[status], order_data(order, items))
    return items

"""Domain events, written to the outbox in the caller's transaction: an event exists iff its change committed."""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Any

from db.queries.executor import WriteTransaction
from db.queries.webhooks import insert_outbox_event
from storegraph.platform.timestamps import utcnow


class EventName(StrEnum):
    ORDER_CREATED = "order.created"
    ORDER_CONFIRMED = "order.confirmed"
    ORDER_SHIPPED = "order.shipped"
    ORDER_DELIVERED = "order.delivered"
    ORDER_CANCELLED = "order.cancelled"
    SIGNUP_COUNTED = "signup.counted"
    PRODUCT_STOCK_LOW = "product.stock_low"
    CUSTOMER_ERASED = "customer.erased"


def new_event_id() -> str:
    return f"evt_{secrets.token_hex(12)}"


async def record_event(session: WriteTransaction, store_id: int, event: EventName, data: dict[str, Any]) -> None:
    await insert_outbox_event(
        session, store_id=store_id, public_id=new_event_id(), event=event.value, payload=data, created_at=utcnow()
    )

"""``fraud_score``: a 0–100 heuristic of how risky a cash-on-delivery customer is (high = suspect).

Points, each capped, summed and capped at 100 (documented in docs/fraud.md):

- cancelled orders: 15 each, at most 45 (orders placed and then abandoned cost the merchant a shipment slot);
- refused deliveries (payment status ``failed``: the parcel came back unpaid): 20 each, at most 40;
- other customers of the store on the same device fingerprint: 10 each, at most 30 (one device, many names);
- velocity: orders in the last 24 hours beyond the second: 10 each, at most 30.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, Order
from storegraph.platform.timestamps import utcnow

VELOCITY_WINDOW = timedelta(hours=24)
VELOCITY_FREE_ORDERS = 2


@dataclass(frozen=True, slots=True)
class FraudSignals:
    cancelled_orders: int
    refused_deliveries: int
    shared_device_customers: int
    recent_orders: int


def fraud_score(signals: FraudSignals) -> int:
    score = (
        min(45, 15 * signals.cancelled_orders)
        + min(40, 20 * signals.refused_deliveries)
        + min(30, 10 * signals.shared_device_customers)
        + min(30, 10 * max(0, signals.recent_orders - VELOCITY_FREE_ORDERS))
    )
    return min(100, score)


async def refresh_fraud_score(session: AsyncSession, store_id: int, customer_id: int) -> int:
    since = utcnow() - VELOCITY_WINDOW
    history = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((Order.status == "cancelled", 1), else_=0)), 0),
                func.coalesce(func.sum(case((Order.payment_status == "failed", 1), else_=0)), 0),
                func.coalesce(func.sum(case((Order.created_at >= since, 1), else_=0)), 0),
            ).where(Order.customer_id == customer_id, Order.store_id == store_id)
        )
    ).one()
    fingerprint = await session.scalar(select(Customer.device_fingerprint).where(Customer.id == customer_id))
    shared = 0
    if fingerprint:
        shared = int(
            await session.scalar(
                select(func.count())
                .select_from(Customer)
                .where(
                    Customer.store_id == store_id,
                    Customer.device_fingerprint == fingerprint,
                    Customer.id != customer_id,
                )
            )
            or 0
        )
    score = fraud_score(
        FraudSignals(
            cancelled_orders=int(history[0]),
            refused_deliveries=int(history[1]),
            shared_device_customers=shared,
            recent_orders=int(history[2]),
        )
    )
    await session.execute(update(Customer).where(Customer.id == customer_id).values(fraud_score=score))
    return score

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

from db.queries.customers import count_customers_on_same_device, set_fraud_score
from db.queries.executor import WriteTransaction
from db.queries.orders import customer_order_tallies
from storegraph.platform.timestamps import utcnow
from storegraph.rules.statuses import OrderStatus, PaymentStatus

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


async def refresh_fraud_score(session: WriteTransaction, store_id: int, customer_id: int) -> int:
    since = utcnow() - VELOCITY_WINDOW
    history = await customer_order_tallies(
        session,
        store_id,
        customer_id,
        status=OrderStatus.CANCELLED.value,
        payment_status=PaymentStatus.FAILED.value,
        since=since,
    )
    shared = await count_customers_on_same_device(session, store_id, customer_id)
    score = fraud_score(
        FraudSignals(
            cancelled_orders=history.with_status,
            refused_deliveries=history.with_payment_status,
            shared_device_customers=shared,
            recent_orders=history.placed_since,
        )
    )
    await set_fraud_score(session, customer_id, score)
    return score

"""``total_orders``, ``total_spent`` and ``last_order_at``: moved by atomic increments in the same transaction
as the order change, never recomputed on read, so concurrent orders cannot lose an update."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, Order
from storegraph.platform.timestamps import utcnow
from storegraph.rules.statuses import OrderStatus


async def remove_order_from_totals(session: AsyncSession, customer_id: int, total: int) -> None:
    """A counted order was cancelled: take it out of the totals and find the new latest order.

    The customer row is locked by its own statement first. Under READ COMMITTED the UPDATE's subquery reads
    the snapshot its statement started with; if a concurrent checkout held the row, that snapshot would miss
    the checkout's new order and ``last_order_at`` would go back in time. After the lock, the next statement's
    snapshot sees every order committed before it.
    """
    await session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
    latest = (
        select(func.max(Order.created_at))
        .where(Order.customer_id == customer_id, Order.status != OrderStatus.CANCELLED.value)
        .scalar_subquery()
    )
    await session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(
            total_orders=Customer.total_orders - 1,
            total_spent=Customer.total_spent - total,
            last_order_at=latest,
            updated_at=utcnow(),
        )
    )

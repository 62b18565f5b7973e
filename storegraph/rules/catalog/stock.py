"""Stock moves as single conditional UPDATEs, so concurrent orders can never sell the same unit twice."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.queries.catalog import decrement_stock, increment_stock, product_stock_quantity
from db.queries.executor import WriteTransaction
from storegraph.platform.errors import InsufficientStock
from storegraph.rules.outbox import EventName, record_event


async def take_stock(session: AsyncSession, store_id: int, product_id: int, quantity: int, field: str) -> None:
    """Decrements a tracked product's stock by ``quantity`` or raises ``InsufficientStock``.

    Fires ``product.stock_low`` exactly once per crossing: only the order that moves the stock from above
    ``low_stock_alert`` to at or below it sees the crossing, because each decrement is atomic.
    """
    row = await decrement_stock(session, store_id, product_id, quantity)
    if row is None:
        available = await product_stock_quantity(session, product_id)
        raise InsufficientStock(field, product_id, int(available or 0))
    before = row.stock_quantity + quantity
    if before > row.low_stock_alert >= row.stock_quantity:
        await record_event(
            session,
            store_id,
            EventName.PRODUCT_STOCK_LOW,
            {
                "id": row.id,
                "name": row.name,
                "sku": row.sku,
                "stock_quantity": row.stock_quantity,
                "low_stock_alert": row.low_stock_alert,
            },
        )


async def return_stock(session: WriteTransaction, store_id: int, product_id: int, quantity: int) -> None:
    await increment_stock(session, store_id, product_id, quantity)

"""The customer a merchant action changes: the store's own (another store's is ``not_found``), locked for the rest
of the transaction, and not erased (erasure is irreversible: ``customer_erased``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer
from db.queries.customers import lock_customer
from storegraph.platform.errors import CustomerErased, NotFound


async def owned_customer(session: AsyncSession, store_id: int, customer_id: int, *, field: str = "id") -> Customer:
    customer = await lock_customer(session, store_id, customer_id)
    if customer is None:
        raise NotFound("Customer", customer_id, field=field)
    if customer.erased_at is not None:
        raise CustomerErased(customer_id, field=field)
    return customer

"""Seed 001's soft delete: archiving hides a customer from every list (db/queries/customers.py ``listed``) without
touching its data or orders; restoring, or a new order with its phone (checkout's upsert), brings it back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer
from storegraph.platform.timestamps import utcnow
from storegraph.rules.customers.owned import owned_customer


async def archive_customer(session: AsyncSession, store_id: int, customer_id: int) -> Customer:
    """Archives the customer; archiving again keeps the time of the first archiving."""
    customer = await owned_customer(session, store_id, customer_id)
    if customer.archived_at is None:
        customer.archived_at = utcnow()
        await session.flush()
    return customer


async def restore_customer(session: AsyncSession, store_id: int, customer_id: int) -> Customer:
    """Brings an archived customer back to the lists; a customer that is not archived stays as it is."""
    customer = await owned_customer(session, store_id, customer_id)
    if customer.archived_at is not None:
        customer.archived_at = None
        await session.flush()
    return customer

"""Merchant actions on a customer: ban and unban (a banned customer's new orders are refused), and notes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import Problems
from storegraph.rules.customers.owned import owned_customer

MAX_BAN_REASON = 255
MAX_NOTES = 5_000


async def ban_customer(session: AsyncSession, store_id: int, customer_id: int, reason: str | None) -> Customer:
    """Bans the customer. Banning again replaces the reason and keeps the time of the first ban."""
    problems = Problems()
    reason = problems.text("reason", reason, max_length=MAX_BAN_REASON)
    problems.raise_if_any()
    customer = await owned_customer(session, store_id, customer_id)
    if not customer.is_banned or customer.banned_at is None:
        customer.banned_at = utcnow()
    customer.is_banned = True
    customer.ban_reason = reason
    await session.flush()
    return customer


async def unban_customer(session: AsyncSession, store_id: int, customer_id: int) -> Customer:
    customer = await owned_customer(session, store_id, customer_id)
    customer.is_banned = False
    customer.ban_reason = None
    customer.banned_at = None
    await session.flush()
    return customer


async def update_customer_notes(session: AsyncSession, store_id: int, customer_id: int, notes: str | None) -> Customer:
    """Replaces the merchant's notes; ``None`` or blank clears them."""
    problems = Problems()
    notes = problems.text("notes", notes, max_length=MAX_NOTES)
    problems.raise_if_any()
    customer = await owned_customer(session, store_id, customer_id)
    customer.notes = notes
    await session.flush()
    return customer

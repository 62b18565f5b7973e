"""Every statement of webhook delivery, the only reads of a subscription's signing secret among them
(db/queries/webhook_subscriptions.py never selects it, so no API read can leak it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.base import utcnow
from db.models import OutboxEvent, Store, WebhookDelivery, WebhookSubscription
from db.session import single_statement_reads
from webhooks.message import Event
from webhooks.send import Attempt

# (id, public_id, store_id, event) of an outbox event; (id, store_id, events) of a subscription.
EventRow = Row[int, str, int, str]
SubscriberRow = Row[int, int, list[str]]

# --- the dispatcher ---------------------------------------------------------------------------------------------


async def any_undispatched(engine: AsyncEngine) -> bool:
    """One indexed read, outside any transaction: an idle dispatcher need not take SQLite's write lock."""
    stmt = select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None)).limit(1)
    async with single_statement_reads(engine).connect() as connection:
        return (await connection.execute(stmt)).first() is not None


async def claim_undispatched(session: AsyncSession, limit: int) -> list[EventRow]:
    """The oldest undispatched events, locked until the transaction ends. On PostgreSQL SKIP LOCKED hands each
    dispatcher a batch no other one holds; on SQLite the caller's write transaction already keeps them apart."""
    stmt = (
        select(OutboxEvent.id, OutboxEvent.public_id, OutboxEvent.store_id, OutboxEvent.event)
        .where(OutboxEvent.dispatched_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).all())


async def active_subscribers(session: AsyncSession, store_ids: Iterable[int]) -> list[SubscriberRow]:
    """The active subscriptions of these stores, oldest first; which events each wants is decided in Python
    (``events`` is a JSON list, queried differently by each dialect)."""
    stmt = (
        select(WebhookSubscription.id, WebhookSubscription.store_id, WebhookSubscription.events)
        .where(WebhookSubscription.store_id.in_(sorted(set(store_ids))), WebhookSubscription.is_active.is_(True))
        .order_by(WebhookSubscription.id)
    )
    return list((await session.execute(stmt)).all())


async def mark_dispatched(session: AsyncSession, event_ids: Sequence[int]) -> None:
    stmt = update(OutboxEvent).where(OutboxEvent.id.in_(event_ids)).values(dispatched_at=utcnow())
    await session.execute(stmt)


# --- the delivery handler ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """What one delivery needs: the endpoint, its secret, its store's plan, and the event (``None`` if gone)."""

    store_id: int
    plan: str
    url: str
    secret: str
    is_active: bool
    event: Event | None


async def delivery_target(session: AsyncSession, subscription_id: int, outbox_event_id: int) -> Target | None:
    """``None`` when the subscription was deleted; the event is looked up in the subscription's own store only."""
    stmt = (
        select(
            WebhookSubscription.store_id,
            Store.plan,
            WebhookSubscription.url,
            WebhookSubscription.secret,
            WebhookSubscription.is_active,
            OutboxEvent.public_id,
            OutboxEvent.event,
            OutboxEvent.payload,
            OutboxEvent.created_at,
        )
        .join(Store, Store.id == WebhookSubscription.store_id)
        .outerjoin(
            OutboxEvent,
            (OutboxEvent.id == outbox_event_id) & (OutboxEvent.store_id == WebhookSubscription.store_id),
        )
        .where(WebhookSubscription.id == subscription_id)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    event = None
    if row.public_id is not None:
        event = Event(public_id=row.public_id, name=row.event, created_at=row.created_at, data=row.payload)
    return Target(row.store_id, row.plan, row.url, row.secret, row.is_active, event)


async def lock_subscription(session: AsyncSession, subscription_id: int) -> Row[bool, datetime | None] | None:
    """The subscription's health, locked (PostgreSQL) so that two attempts that end together take turns."""
    stmt = (
        select(WebhookSubscription.is_active, WebhookSubscription.failing_since)
        .where(WebhookSubscription.id == subscription_id)
        .with_for_update()
    )
    return (await session.execute(stmt)).first()


async def set_health(
    session: AsyncSession, subscription_id: int, *, failing_since: datetime | None, disabled_reason: str | None
) -> None:
    values: dict[str, Any] = {"failing_since": failing_since}
    if disabled_reason is not None:
        values.update(is_active=False, disabled_reason=disabled_reason)
    await session.execute(update(WebhookSubscription).where(WebhookSubscription.id == subscription_id).values(values))


async def first_attempt_at(
    session: AsyncSession, subscription_id: int, delivery_id: str, attempt: int
) -> datetime | None:
    """When attempt number ``attempt`` of this delivery was logged (the first one of a job)."""
    stmt = select(func.min(WebhookDelivery.created_at)).where(
        WebhookDelivery.subscription_id == subscription_id,
        WebhookDelivery.delivery_id == delivery_id,
        WebhookDelivery.attempt == attempt,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def log_attempt(
    session: AsyncSession,
    *,
    store_id: int,
    subscription_id: int,
    delivery_id: str,
    event: Event,
    attempt: int,
    outcome: Attempt,
    at: datetime,
) -> None:
    session.add(
        WebhookDelivery(
            store_id=store_id,
            subscription_id=subscription_id,
            delivery_id=delivery_id,
            event_id=event.public_id,
            event=event.name,
            attempt=attempt,
            succeeded=outcome.succeeded,
            response_status=outcome.status,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
            created_at=at,
        )
    )

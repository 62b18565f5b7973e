"""Webhook subscription reads. The signing secret is never selected, so no read can leak it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select

from db.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from db.queries.executor import Executor
from db.queries.pagination import Ordering, page_query

WEBHOOK_SUBSCRIPTION_COLUMNS = tuple(column for column in WebhookSubscription.__table__.c if column.key != "secret")
NEWEST_WEBHOOK_SUBSCRIPTIONS = Ordering(
    name="webhook_subscriptions.created_at:desc",
    column=WebhookSubscription.created_at,
    id_column=WebhookSubscription.id,
    descending=True,
    kind=datetime,
)


async def list_webhook_subscriptions(
    db: Executor, store_id: int, after: list[Any] | None, first: int
) -> list[Row[Any]]:
    stmt = select(*WEBHOOK_SUBSCRIPTION_COLUMNS).where(WebhookSubscription.store_id == store_id)
    return list((await db.execute(page_query(stmt, NEWEST_WEBHOOK_SUBSCRIPTIONS, after, first))).all())


async def count_webhook_subscriptions(db: Executor, store_id: int) -> int:
    stmt = select(func.count()).select_from(WebhookSubscription).where(WebhookSubscription.store_id == store_id)
    return int((await db.execute(stmt)).scalar_one())


async def webhook_subscriptions_by_ids(db: Executor, store_id: int, ids: list[int]) -> list[Row[Any]]:
    stmt = select(*WEBHOOK_SUBSCRIPTION_COLUMNS).where(
        WebhookSubscription.store_id == store_id, WebhookSubscription.id.in_(ids)
    )
    return list((await db.execute(stmt)).all())


NEWEST_DELIVERIES = Ordering(
    name="webhook_deliveries.created_at:desc",
    column=WebhookDelivery.created_at,
    id_column=WebhookDelivery.id,
    descending=True,
    kind=datetime,
)


async def subscription_exists(db: Executor, store_id: int, subscription_id: int) -> bool:
    stmt = select(WebhookSubscription.id).where(
        WebhookSubscription.store_id == store_id, WebhookSubscription.id == subscription_id
    )
    return (await db.execute(stmt)).first() is not None


async def list_deliveries(
    db: Executor, store_id: int, subscription_id: int, after: list[Any] | None, first: int
) -> list[Row[Any]]:
    stmt = select(*WebhookDelivery.__table__.c).where(
        WebhookDelivery.store_id == store_id, WebhookDelivery.subscription_id == subscription_id
    )
    return list((await db.execute(page_query(stmt, NEWEST_DELIVERIES, after, first))).all())


async def count_deliveries(db: Executor, store_id: int, subscription_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.store_id == store_id, WebhookDelivery.subscription_id == subscription_id)
    )
    return int((await db.execute(stmt)).scalar_one())


async def logged_delivery(
    db: Executor, store_id: int, delivery_id: str, subscription_id: int | None
) -> Row[Any] | None:
    """A logged delivery of the store: its subscription (and whether that is active), its event and how many
    attempts it has; ``None`` if the store has none with this id (or none on ``subscription_id`` when given)."""
    stmt = (
        select(
            WebhookDelivery.subscription_id,
            WebhookDelivery.event_id,
            WebhookSubscription.is_active,
            func.count().label("attempts"),
        )
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.store_id == store_id, WebhookDelivery.delivery_id == delivery_id)
        .group_by(WebhookDelivery.subscription_id, WebhookDelivery.event_id, WebhookSubscription.is_active)
    )
    if subscription_id is not None:
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    return (await db.execute(stmt)).first()


async def outbox_event_id(db: Executor, store_id: int, public_id: str) -> int | None:
    stmt = select(OutboxEvent.id).where(OutboxEvent.store_id == store_id, OutboxEvent.public_id == public_id)
    found = (await db.execute(stmt)).scalar_one_or_none()
    return int(found) if found is not None else None

"""Webhook subscription reads. The signing secret is never selected, so no read can leak it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select

from db.models import WebhookSubscription
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

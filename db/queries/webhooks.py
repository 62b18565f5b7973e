"""Every SQL statement of webhooks: the API's reads of subscriptions and their delivery log, the subscription
mutations' writes and the outbox, and webhook delivery (the dispatcher and the delivery handler).

The API's reads never select a subscription's signing secret, so none can leak it. Delivery reads it to sign
(``delivery_target``); ``owned_subscription`` loads the whole row for a mutation to change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.direct_writes import PreparedWrite
from db.models import OutboxEvent, Store, WebhookDelivery, WebhookSubscription
from db.queries.by_ids import RowsByIds
from db.queries.executor import Executor, WriteTransaction, core_write
from db.queries.pagination import Ordering, page_query
from db.session import single_statement_reads
from storegraph.platform.timestamps import utcnow

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


webhook_subscriptions_by_ids = RowsByIds(
    WEBHOOK_SUBSCRIPTION_COLUMNS, WebhookSubscription.store_id, WebhookSubscription.id
)


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


# --- writes: the subscription mutations and the outbox ----------------------------------------------------------


async def insert_subscription(
    session: AsyncSession, *, store_id: int, url: str, events: list[str], secret: str
) -> WebhookSubscription:
    subscription = WebhookSubscription(store_id=store_id, url=url, events=events, secret=secret, is_active=True)
    session.add(subscription)
    await session.flush()
    return subscription


async def owned_subscription(session: AsyncSession, store_id: int, subscription_id: int) -> WebhookSubscription | None:
    """The store's subscription as an ORM entity, for a mutation to change or delete; ``None`` if the store has
    none with this id. It holds the signing secret: the mutations' payloads must not show it."""
    stmt = select(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id, WebhookSubscription.store_id == store_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def delete_subscription_row(session: AsyncSession, subscription: WebhookSubscription) -> None:
    """Its delivery log goes with it (``ON DELETE CASCADE`` of ``webhook_deliveries.subscription_id``)."""
    await session.delete(subscription)
    await session.flush()


async def insert_outbox_event(
    session: WriteTransaction,
    *,
    store_id: int,
    public_id: str,
    event: str,
    payload: dict[str, Any],
    created_at: datetime,
) -> None:
    """Writes the event in the caller's transaction, with the change it announces: the event exists iff that
    change committed."""
    values = {
        "store_id": store_id,
        "public_id": public_id,
        "event": event,
        "payload": payload,
        "created_at": created_at,
    }
    await core_write(session, _INSERT_OUTBOX_EVENT, values)


# Built once, run on the connection: the ORM's unit of work for one row cost several times the statement.
_INSERT_OUTBOX_EVENT = PreparedWrite(insert(OutboxEvent))


@dataclass(frozen=True, slots=True)
class Event:
    """An outbox event as the body names it."""

    public_id: str
    name: str
    created_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one delivery attempt, as the delivery log keeps it.

    ``status`` is ``None`` when no HTTP answer came back (``error`` says why)."""

    status: int | None
    duration_ms: int | None
    excerpt: str | None = None
    error: str | None = None
    retryable: bool = False
    # The receiver's Retry-After in seconds, when it sent one with a 429 or 503.
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


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

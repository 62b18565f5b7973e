"""Webhook subscriptions: an http(s) endpoint of the store, the events it wants, and its own signing secret."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WebhookSubscription
from db.queries.webhooks import (
    delete_subscription_row,
    insert_subscription,
    logged_delivery,
    outbox_event_id,
    owned_subscription,
)
from storegraph.platform.errors import NotFound, ValidationFailed
from storegraph.platform.validation import Problems
from storegraph.rules.outbox import EventName

MAX_URL = 2048
# ``dlv_`` and 24 hex digits today (storegraph/rules/webhooks/signing.py); the log's column holds 40.
MAX_DELIVERY_ID = 40
EVENT_NAMES = frozenset(event.value for event in EventName)


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    url: str
    events: list[str]


def new_signing_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _url(problems: Problems, raw: str) -> str | None:
    url = problems.text("url", raw, max_length=MAX_URL, required=True)
    if url is None or len(url) > MAX_URL:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        problems.add("url", "invalid", "url must be an http or https URL with a host")
        return None
    if any(char.isspace() for char in url):
        problems.add("url", "invalid", "url must not contain spaces")
        return None
    return url


def _events(problems: Problems, raw: list[str]) -> list[str]:
    if not raw:
        problems.add("events", "blank", "events must name at least one event")
    events: list[str] = []
    for name in raw:
        if name not in EVENT_NAMES:
            known = ", ".join(sorted(EVENT_NAMES))
            problems.add("events", "unknown_event", f"{name!r} is not an event; known: {known}")
        elif name not in events:
            events.append(name)
    return events


async def create_subscription(
    session: AsyncSession, store_id: int, request: SubscriptionRequest
) -> tuple[WebhookSubscription, str]:
    """The new subscription and its signing secret, which the API shows only in this response."""
    problems = Problems()
    url = _url(problems, request.url)
    events = _events(problems, request.events)
    problems.raise_if_any()
    secret = new_signing_secret()
    subscription = await insert_subscription(session, store_id=store_id, url=url or "", events=events, secret=secret)
    return subscription, secret


async def _owned_subscription(session: AsyncSession, store_id: int, subscription_id: int) -> WebhookSubscription:
    subscription = await owned_subscription(session, store_id, subscription_id)
    if subscription is None:
        raise NotFound("Webhook subscription", subscription_id)
    return subscription


async def delete_subscription(session: AsyncSession, store_id: int, subscription_id: int) -> int:
    """Deletes the subscription with its delivery log; its pending deliveries find it gone and are dropped."""
    subscription = await _owned_subscription(session, store_id, subscription_id)
    await delete_subscription_row(session, subscription)
    return subscription_id


async def enable_subscription(session: AsyncSession, store_id: int, subscription_id: int) -> WebhookSubscription:
    """Turns a subscription that was disabled for failing back on, with a clean record: its endpoint gets the
    events from now on (those of the time it was off are not sent; logged ones can be redelivered)."""
    subscription = await _owned_subscription(session, store_id, subscription_id)
    if not subscription.is_active or subscription.disabled_reason is not None or subscription.failing_since is not None:
        subscription.is_active = True
        subscription.disabled_reason = None
        subscription.failing_since = None
        await session.flush()
    return subscription


@dataclass(frozen=True, slots=True)
class Redelivery:
    """A logged delivery to send again: the same event to the same endpoint, under the same ``X-DZ-Delivery``."""

    outbox_event_id: int
    subscription_id: int
    delivery_id: str
    # Attempts already logged, so the new ones are numbered after them.
    previous_attempts: int


async def plan_redelivery(
    session: AsyncSession, store_id: int, delivery_id: str, subscription_id: int | None
) -> Redelivery:
    """What redelivering ``delivery_id`` sends. ``not_found`` on ``subscriptionId`` for a subscription the store does
    not have (REST: the one its path names), else on ``deliveryId`` for a delivery the store never logged (or not on
    ``subscription_id``); a disabled subscription must be enabled first, since redelivering does not enable it."""
    problems = Problems()
    wanted = problems.text("deliveryId", delivery_id, max_length=MAX_DELIVERY_ID, required=True)
    problems.raise_if_any()
    if subscription_id is not None and await owned_subscription(session, store_id, subscription_id) is None:
        raise NotFound("Webhook subscription", subscription_id, field="subscriptionId")
    logged = await logged_delivery(session, store_id, wanted or "", subscription_id)
    if logged is None:
        raise NotFound("Webhook delivery", wanted, field="deliveryId")
    if not logged.is_active:
        raise ValidationFailed.single(
            "deliveryId",
            "subscription_disabled",
            f"webhook subscription {logged.subscription_id} is disabled: enable it first",
        )
    event_id = await outbox_event_id(session, store_id, logged.event_id)
    if event_id is None:
        raise NotFound("Webhook event", logged.event_id, field="deliveryId")
    return Redelivery(event_id, logged.subscription_id, wanted or "", int(logged.attempts))

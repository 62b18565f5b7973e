"""Webhook subscriptions: an http(s) endpoint of the store, the events it wants, and its own signing secret."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WebhookSubscription
from domain.errors import NotFound
from domain.outbox import EventName
from domain.validation import Problems

MAX_URL = 2048
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
    subscription = WebhookSubscription(store_id=store_id, url=url, events=events, secret=secret, is_active=True)
    session.add(subscription)
    await session.flush()
    return subscription, secret


async def delete_subscription(session: AsyncSession, store_id: int, subscription_id: int) -> int:
    stmt = select(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id, WebhookSubscription.store_id == store_id
    )
    subscription = (await session.execute(stmt)).scalar_one_or_none()
    if subscription is None:
        raise NotFound("Webhook subscription", subscription_id)
    await session.delete(subscription)
    await session.flush()
    return subscription_id

"""The store-level reads in the differential tests of compiled execution: the viewer, the store and its plan's
limits, API keys, webhook subscriptions and their deliveries, signups, event counts, usage and quotas. Their rows
(with nulls, empty lists and another store's rows), and generated selections of them.

A few values change from one request to the next whatever way answers: a key's ``lastUsedAt`` (refreshed once a
minute), the requests counted in ``usage`` and in ``quotas.requestsPerMonth``/``publicRequestsPerMonth``. Those are
left out of the generated selections, which are compared byte for byte; the rest of those reports is drawn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import EventCount, Signup, Store, WebhookDelivery
from db.queries.keys import create_api_key
from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.platform.auth.scopes import Scope
from tests.support.factories import create_webhook_subscription
from tests.support.query_strategies import Document, condition, connection, leaves, leaves_of, page_size, wrapped

BASE = datetime(2025, 3, 1, 9, 30, 0)
FIRST_DAY = date(2025, 2, 27)
VIEWER_LEAVES = leaves_of("Viewer")
STORE_LEAVES = leaves_of("Store")
PLAN_LIMITS_LEAVES = leaves_of("PlanLimits")
API_KEY_LEAVES = tuple(name for name in leaves_of("ApiKey") if name != "lastUsedAt")
SUBSCRIPTION_LEAVES = leaves_of("WebhookSubscription")
DELIVERY_LEAVES = leaves_of("WebhookDelivery")
SIGNUP_LEAVES = leaves_of("Signup")
EVENT_COUNTS_LEAVES = leaves_of("EventCounts")
EVENT_COUNT_LEAVES = leaves_of("EventCount")
QUOTA_USE_LEAVES = leaves_of("QuotaUse")
# Quotas that the differential requests do not draw on: their ``used`` stays put.
STEADY_QUOTAS = ("signupsPerMonth", "webhooksPerMonth")
QUOTAS_LEAVES = ("plan", "requestsPerMinute", "publicRequestsPerMinute", "periodEnd", "__typename")
LISTS = ("apiKeys", "webhookSubscriptions", "signups")
NAMES = ("viewer", "whoami", "store", *LISTS, "webhookDeliveries", "usage", "quotas", "eventCounts")


@dataclass(frozen=True)
class StoreRows:
    """The ids of a store's subscriptions (the first with more deliveries than a page, the second with none) and
    of another store's subscription, which the store's keys must not read the deliveries of."""

    subscription_ids: tuple[int, ...]
    foreign_subscription_id: int


async def seed_store_rows(session: AsyncSession, store: Store, other_store: Store) -> StoreRows:
    store.settings = {"theme": {"color": "teal"}, "flags": [1, None, "x"], "ratio": 0.5, "big": 10**12}
    await create_api_key(
        session,
        store_id=store.id,
        key_type=KeyType.PUBLIC,
        env=KeyEnv.TEST,
        scopes=(),
        name=None,
        allowed_origins=["https://shop.example"],
    )
    revoked, _ = await create_api_key(
        session, store_id=store.id, key_type=KeyType.PLATFORM, env=KeyEnv.LIVE, scopes=(Scope.STORE_READ,)
    )
    revoked.revoked_at = BASE
    await create_api_key(
        session, store_id=other_store.id, key_type=KeyType.PLATFORM, env=KeyEnv.LIVE, scopes=(Scope.STORE_READ,)
    )
    busy = await create_webhook_subscription(session, store, events=["order.created", "order.updated"], created_at=BASE)
    quiet = await create_webhook_subscription(session, store, created_at=BASE + timedelta(hours=1))
    quiet.is_active = False
    quiet.disabled_reason = "failing since 2025-03-01"
    quiet.failing_since = BASE
    foreign = await create_webhook_subscription(session, other_store)
    for index in range(5):
        succeeded = index % 2 == 0
        session.add(
            WebhookDelivery(
                store_id=store.id,
                subscription_id=busy.id,
                delivery_id=f"dlv_{busy.id}_{index // 2}",
                event_id=f"evt_{busy.id}_{index // 2}",
                event="order.created",
                attempt=1 + index % 2,
                succeeded=succeeded,
                response_status=200 if succeeded else None,
                duration_ms=40 + index if succeeded else None,
                response_excerpt="ok" if succeeded else None,
                error=None if succeeded else "timeout",
                created_at=BASE + timedelta(minutes=index),
            )
        )
    session.add(
        WebhookDelivery(
            store_id=other_store.id,
            subscription_id=foreign.id,
            delivery_id="dlv_foreign",
            event_id="evt_foreign",
            event="order.created",
            created_at=BASE,
        )
    )
    for index, owner in enumerate([store, store, store, other_store]):
        bare = index == 1
        session.add(
            Signup(
                store_id=owner.id,
                public_id=f"sgn_{owner.id}_{index}",
                key_id="pk_signups",
                email=None if bare else f"signup{index}@example.com",
                phone=None if bare else "0555000000",
                name=None if bare else "Lina",
                source=None if bare else "landing",
                campaign=None,
                metadata_={} if bare else {"utm": {"medium": "ad"}},
                counted=index != 2,
                accepted_at=BASE + timedelta(minutes=index),
                created_at=BASE + timedelta(minutes=index, seconds=5),
            )
        )
    for days, event, count in [(0, "page_view", 12), (0, "add_to_cart", 3), (2, "page_view", 7), (5, "checkout", 1)]:
        session.add(EventCount(store_id=store.id, event=event, day=FIRST_DAY + timedelta(days=days), count=count))
    session.add(EventCount(store_id=other_store.id, event="page_view", day=FIRST_DAY, count=99))
    await session.flush()
    return StoreRows((busy.id, quiet.id), foreign.id)


def cursor_selections(rows: StoreRows) -> str:
    """Selections of the first cursors of the store's lists, to page from in generated queries."""
    return (
        "apiKeys(first: 2) { edges { cursor } } webhookSubscriptions(first: 1) { edges { cursor } } "
        "signups(first: 2) { edges { cursor } } reviews(first: 2) { edges { cursor } } "
        f'webhookDeliveries(subscriptionId: "{rows.subscription_ids[0]}", first: 2) {{ edges {{ cursor }} }}'
    )


def _object(draw: st.DrawFn, doc: Document, type_name: str, names: tuple[str, ...]) -> str:
    return draw(wrapped(doc, type_name, draw(leaves(doc, names))))


@st.composite
def _store(draw: st.DrawFn, doc: Document) -> str:
    selections = draw(leaves(doc, STORE_LEAVES))
    if draw(st.booleans()):
        selections.append(f"limits{draw(condition(doc))} {{ {_object(draw, doc, 'PlanLimits', PLAN_LIMITS_LEAVES)} }}")
    return draw(wrapped(doc, "Store", selections))


@st.composite
def _quotas(draw: st.DrawFn, doc: Document) -> str:
    selections = draw(leaves(doc, QUOTAS_LEAVES))
    for name in draw(st.lists(st.sampled_from(STEADY_QUOTAS), unique=True)):
        selections.append(f"{name}{draw(condition(doc))} {{ {_object(draw, doc, 'QuotaUse', QUOTA_USE_LEAVES)} }}")
    if draw(st.booleans()):
        selections.append("requestsPerMonth { limit }")
    return draw(wrapped(doc, "Quotas", selections))


@st.composite
def _event_counts(draw: st.DrawFn, doc: Document) -> tuple[str, str]:
    """The arguments (always a last day: the default one moves at midnight) and the selection."""
    first = draw(st.sampled_from(["", "2025-02-27", "2025-03-01", "2025-03-09"]))
    last = draw(st.sampled_from(["2025-03-04", "2025-03-31"]))
    arguments = [f"to: {doc.variable('Date', last)}"] if draw(st.booleans()) else [f'to: "{last}"']
    if first:
        arguments.append(f'from: "{first}"')
    if draw(st.integers(0, 2)) == 0:
        # Now and then a name that is not an event name: graphql-core answers its error.
        arguments.append(f'event: "{draw(st.sampled_from(["page_view", "checkout", "Not An Event"]))}"')
    selections = draw(leaves(doc, EVENT_COUNTS_LEAVES))
    if draw(st.booleans()):
        selections.append(f"counts{draw(condition(doc))} {{ {_object(draw, doc, 'EventCount', EVENT_COUNT_LEAVES)} }}")
    return f"({', '.join(arguments)})", draw(wrapped(doc, "EventCounts", selections))


def _page_arguments(draw: st.DrawFn, doc: Document, cursors: tuple[str, ...]) -> list[str]:
    arguments = []
    if draw(st.booleans()):
        arguments.append(f"first: {draw(page_size(doc, low=1, high=4))}")
    if draw(st.integers(0, 3)) == 0:
        arguments.append(f"after: {doc.variable('String', draw(st.sampled_from([*cursors * 3, 'garbage'])))}")
    return arguments


@st.composite
def _node(draw: st.DrawFn, doc: Document, type_name: str, names: tuple[str, ...]) -> str:
    return _object(draw, doc, type_name, names)


NODES = {
    "apiKeys": ("ApiKey", API_KEY_LEAVES),
    "webhookSubscriptions": ("WebhookSubscription", SUBSCRIPTION_LEAVES),
    "signups": ("Signup", SIGNUP_LEAVES),
    "webhookDeliveries": ("WebhookDelivery", DELIVERY_LEAVES),
}


@st.composite
def store_root(
    draw: st.DrawFn, doc: Document, rows: StoreRows, cursors: dict[str, tuple[str, ...]], which: str
) -> tuple[str, str]:
    """A root field of ``NAMES``: its written arguments and its selection."""
    if which in ("viewer", "whoami"):
        return "", _object(draw, doc, "Viewer", VIEWER_LEAVES)
    if which == "store":
        return "", draw(_store(doc))
    if which == "usage":
        parts = draw(st.lists(st.sampled_from(["__typename", "rateLimit { limit windowSeconds }"]), min_size=1))
        return "", " ".join(dict.fromkeys(parts))
    if which == "quotas":
        return "", draw(_quotas(doc))
    if which == "eventCounts":
        written: tuple[str, str] = draw(_event_counts(doc))
        return written
    arguments = _page_arguments(draw, doc, cursors.get(which, ()))
    if which == "webhookDeliveries":
        # Mostly the store's own subscriptions; now and then one graphql-core refuses (another store's, none).
        ids = [*map(str, rows.subscription_ids * 3), str(rows.foreign_subscription_id), "999999999", "abc"]
        arguments.append(f"subscriptionId: {doc.variable('ID!', draw(st.sampled_from(ids)))}")
    type_name, names = NODES[which]
    selection = draw(connection(doc, _node(doc, type_name, names)))
    return (f"({', '.join(arguments)})" if arguments else ""), selection

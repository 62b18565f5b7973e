"""The right to erasure (``eraseCustomer``, ``DELETE /v1/customers/{id}``): the cascade as data, and the rule that
runs it in the caller's transaction. docs/erasure.md states the same rules for people.

``TABLES`` says, for each table that can hold a customer's personal data, which rows are the customer's and what
becomes of them: deleted, or their personal columns replaced. ``PAYLOADS`` does the same for the keys of the JSON
payloads (outbox events, queued jobs) that copy such data. ``KEPT`` lists every other column of every table with
why it holds nothing personal. tests/customers/test_erasure_registry.py fails when a column, a table, an event or a
job kind is in none of them: a new one needs a decision here. A table of the customer's own (its tags, its
addresses) is one line: ``TableRule("customer_addresses", Match.CUSTOMER_ID, Action.DELETE, why="...")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer
from db.queries.erasure import (
    Action,
    Key,
    Match,
    Placeholder,
    Replacement,
    customer_identity,
    erase_rows,
    scrub_payloads,
)
from storegraph.platform.jobs.queue import DEAD_PREFIX
from storegraph.platform.timestamps import rest_timestamp, utcnow
from storegraph.rules.customers.owned import owned_customer
from storegraph.rules.outbox import EventName, record_event
from storegraph.rules.tracking.jobs import EVENTS_JOB, SIGNUP_JOB
from storegraph.rules.webhooks.delivery_job import DELIVER


@dataclass(frozen=True, slots=True)
class TableRule:
    table: str
    match: Match
    action: Action
    # SCRUB: each personal column and what replaces it (None, "", {} or a placeholder); DELETE: the whole row goes.
    columns: Mapping[str, Replacement] = field(default_factory=dict)
    why: str = ""


@dataclass(frozen=True, slots=True)
class PayloadRule:
    table: str
    # Event names (outbox_events) or job kinds (jobs; their dead letters too).
    kinds: frozenset[str]
    # The payload keys that identify the customer, and which identifier each holds.
    match: Mapping[str, Key]
    # The personal keys and their replacements; every other key stays.
    scrub: Mapping[str, Replacement]
    why: str = ""


ORDER_EVENTS = frozenset(
    event.value
    for event in (
        EventName.ORDER_CREATED,
        EventName.ORDER_CONFIRMED,
        EventName.ORDER_SHIPPED,
        EventName.ORDER_DELIVERED,
        EventName.ORDER_CANCELLED,
    )
)

# Payloads run first: the delivery log's rule (Match.CUSTOMER_EVENTS) needs the events they scrubbed.
PAYLOADS: tuple[PayloadRule, ...] = (
    PayloadRule(
        "outbox_events",
        ORDER_EVENTS,
        match={"customer_id": Key.CUSTOMER_ID},
        scrub={"customer_name": "", "customer_phone": "", "customer_email": None, "commune": None, "address": None},
        why="order events copy the buyer's name, phone and commune; the order's numbers and items stay",
    ),
    PayloadRule(
        "outbox_events",
        frozenset({EventName.SIGNUP_COUNTED.value}),
        match={"phone": Key.PHONE, "email": Key.EMAIL},
        scrub={"email": None, "phone": None, "name": None},
        why="a counted signup with the customer's phone or email; its id, source and campaign stay",
    ),
    PayloadRule(
        "jobs",
        frozenset({SIGNUP_JOB, DEAD_PREFIX + SIGNUP_JOB}),
        match={"phone": Key.PHONE, "email": Key.EMAIL},
        scrub={"email": None, "phone": None, "name": None, "metadata": {}},
        why="a signup not stored yet (or given up on) with the customer's phone or email",
    ),
)

TABLES: tuple[TableRule, ...] = (
    TableRule(
        "customers",
        Match.CUSTOMER,
        Action.SCRUB,
        {
            "first_name": "",
            "last_name": "",
            "phone": Placeholder.ERASED_ID,
            "email": None,
            "commune": None,
            "address": None,
            "notes": None,
            "ban_reason": None,
            "device_fingerprint": None,
            "identity_id": None,
            "gender": None,
            "birth_date": None,
            "locale": None,
            "metadata": {},
        },
        why="the row stays, with its totals, so the store's figures and its orders' customer id stay true",
    ),
    TableRule(
        "orders",
        Match.CUSTOMER_ID,
        Action.SCRUB,
        {
            "customer_name": "",
            "customer_phone": "",
            "customer_email": None,
            "commune": None,
            "address": None,
            "notes": None,
        },
        why="the checkout's copy of who ordered and where to; amounts, items, statuses and the wilaya stay",
    ),
    TableRule(
        "order_status_changes",
        Match.CUSTOMER_ORDERS,
        Action.SCRUB,
        {"note": None},
        why="free text written about the customer's orders; the transitions and their times stay",
    ),
    TableRule(
        "signups",
        Match.CONTACT,
        Action.SCRUB,
        {"email": None, "phone": None, "name": None, "metadata": {}},
        why="tracked signups with the customer's phone or email; counted, source and campaign stay",
    ),
    TableRule(
        "reviews",
        Match.CUSTOMER_ID,
        Action.SCRUB,
        {"comment": None, "response_text": None},
        why="the customer's words, and the merchant's reply to them, may name the customer; the ratings, flags and "
        "times stay for the store's statistics",
    ),
    TableRule(
        "loyalty_transactions",
        Match.CUSTOMER_ID,
        Action.SCRUB,
        {"reason": ""},
        why="a merchant's free text about the person; the amounts and balances stay: the ledger must still sum",
    ),
    TableRule(
        "house_account_transactions",
        Match.CUSTOMER_ID,
        Action.SCRUB,
        {"reason": ""},
        why="a merchant's free text about the person; what was owed and paid stays for the store's accounts",
    ),
    TableRule(
        "customer_tags",
        Match.CUSTOMER_ID,
        Action.DELETE,
        why="a merchant's labels on the person (vip, a complaint, where they came from)",
    ),
    TableRule(
        "customer_addresses",
        Match.CUSTOMER_ID,
        Action.DELETE,
        why="the customer's address book is nothing but personal data",
    ),
    TableRule(
        "webhook_deliveries",
        Match.CUSTOMER_EVENTS,
        Action.SCRUB,
        {"response_excerpt": None},
        why="a receiver's answer to an event that carried the customer may echo it",
    ),
)

# Every other column, with why it holds no personal data of a customer.
KEPT: dict[str, tuple[str, str]] = {
    "customers": (
        "id store_id wilaya_id total_orders total_spent last_order_at fraud_score is_banned banned_at archived_at "
        "erased_at accepts_marketing loyalty_balance is_loyalty_enabled is_house_account_enabled house_account_limit "
        "house_account_balance created_at updated_at",
        "ids, figures, flags and times; the wilaya is one of 58 provinces, kept for the store's statistics; the "
        "marketing consent is a flag about no one once the contact details are gone",
    ),
    "orders": (
        "id store_id customer_id order_number status payment_status payment_method wilaya_id delivery_type "
        "subtotal delivery_fee total created_at updated_at",
        "the sale itself: what the store must keep for its accounts",
    ),
    "order_items": ("id order_id product_id product_name sku unit_price quantity total", "the catalogue's copy"),
    "order_status_changes": ("id order_id field from_status to_status actor_key_id created_at", "the history"),
    "signups": ("id store_id public_id key_id source campaign counted accepted_at created_at", "the count"),
    "outbox_events": ("id store_id public_id event payload created_at dispatched_at", "payload: PAYLOADS"),
    "jobs": (
        "id kind payload run_at attempts locked_by locked_until last_error created_at",
        "payload: PAYLOADS; errors never quote a payload's values",
    ),
    "webhook_deliveries": (
        "id store_id subscription_id delivery_id event_id event attempt succeeded response_status duration_ms "
        "error created_at",
        "the delivery log's facts; errors are the transport's (timeouts, refused connections)",
    ),
    "tracked_events": (
        "id store_id public_id key_id event properties occurred_at accepted_at",
        "page analytics tied to no customer; docs/tracking.md asks stores to send no personal data in properties",
    ),
    "event_counts": ("store_id event day count", "daily counts"),
    "stores": (
        "id name slug currency phone_region plan settings metadata created_at updated_at data_version",
        "the merchant's",
    ),
    "api_keys": (
        "id store_id key_id type env name scopes secret_hash signing_secret allowed_origins created_at "
        "last_used_at revoked_at",
        "the merchant's keys",
    ),
    "products": (
        "id store_id name slug description price compare_price cost_price sku track_stock stock_quantity "
        "low_stock_alert status created_at updated_at",
        "the catalogue",
    ),
    "landing_pages": (
        "id store_id title slug product_id content status created_at updated_at",
        "the merchant's pages",
    ),
    "webhook_subscriptions": (
        "id store_id url events secret is_active disabled_reason failing_since created_at updated_at",
        "the merchant's endpoints",
    ),
    "loyalty_transactions": (
        "id store_id customer_id kind delta balance_after order_id actor_key_id created_at",
        "the ledger's entries: they still sum to the balance",
    ),
    "house_account_transactions": (
        "id store_id customer_id kind amount balance_after order_id actor_key_id created_at",
        "the ledger's entries: what was owed and paid",
    ),
    "reviews": (
        "id store_id order_id customer_id rating product_rating delivery_rating packaging_rating is_approved "
        "is_public is_featured responded_at responded_by created_at updated_at",
        "ratings, moderation flags, ids and times: the store's review statistics",
    ),
    "delivery_zones": ("id store_id name home_fee desk_fee created_at updated_at", "the store's delivery fees"),
    "zone_wilayas": ("zone_id wilaya_id store_id", "which provinces a zone covers"),
    "usage_counters": ("owner owner_id counter period count expires_at", "request counts"),
    "store_versions": ("store_id shard version", "counts of the store's writes"),
    "idempotency_records": (
        "scope_key fingerprint owner sealed expires_at",
        "an answer kept for a retry of the same request by the same key, sealed (encrypted) and gone within "
        "IDEMPOTENCY_TTL_SECONDS (24 hours): docs/erasure.md",
    ),
}

# Payload kinds that carry no personal data of a customer, with why.
KEPT_PAYLOADS: dict[str, dict[str, str]] = {
    "outbox_events": {
        EventName.PRODUCT_STOCK_LOW.value: "a product's stock",
        EventName.CUSTOMER_ERASED.value: "the erased customer's id and the time, nothing else",
    },
    "jobs": {
        DELIVER: "ids only: the delivery reads the (scrubbed) event when it runs",
        EVENTS_JOB: "page analytics tied to no customer (see tracked_events)",
    },
}


async def erase_customer(session: AsyncSession, store_id: int, customer_id: int) -> Customer:
    """Empties every copy of the customer's personal data, keeps its totals and its orders' amounts and items,
    marks it erased (and archived, so it leaves the lists) and writes ``customer.erased``. Irreversible: an erased
    customer is ``customer_erased`` to every later change. Runs in the caller's transaction: all of it or nothing."""
    customer = await owned_customer(session, store_id, customer_id)
    who = await customer_identity(session, store_id, customer_id)
    for payload in PAYLOADS:
        await scrub_payloads(session, payload.table, payload.kinds, payload.match, payload.scrub, who)
    for table in TABLES:
        await erase_rows(session, table.table, table.match, table.action, table.columns, who)
    await session.refresh(customer)
    now = utcnow()
    customer.erased_at = now
    customer.archived_at = customer.archived_at or now
    customer.updated_at = now
    await session.flush()
    await record_event(
        session, store_id, EventName.CUSTOMER_ERASED, {"id": customer_id, "erased_at": rest_timestamp(now)}
    )
    return customer


def kept_columns(table: str) -> frozenset[str]:
    return frozenset(KEPT.get(table, ("", ""))[0].split())

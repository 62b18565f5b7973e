"""Who may call what on /v1, row by row of the endpoint table (rest_compat.table.ENDPOINTS): scopes, tenancy,
Idempotency-Key on every write, and the rate limit that /graphql has too.

``SAMPLES`` holds one valid request per row; ``test_every_platform_key_row_has_a_sample`` fails when a row is added
without one, so every test parametrised over the table covers the new row too.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from db.models import (
    ApiKey,
    Customer,
    CustomerAddress,
    DeliveryZone,
    LandingPage,
    Order,
    OrderStatusChange,
    OutboxEvent,
    Product,
    Review,
    Store,
    WebhookDelivery,
    WebhookSubscription,
    ZoneWilaya,
)
from db.models.job import Job
from db.models.ledger import HouseAccountTransaction, LoyaltyTransaction
from rest_compat.endpoint import Endpoint
from rest_compat.table import ENDPOINTS
from storegraph.app import create_app
from storegraph.platform.auth.scopes import ALL_SCOPES, WRITE_SCOPE_OF_READ, Scope
from storegraph.platform.limits.plans import Plan
from tests.conftest import app_settings, services_of
from tests.support.factories import (
    Key,
    create_address,
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_review,
    create_store,
    create_webhook_subscription,
    create_zone,
)
from tests.support.mutation_helpers import count_rows, snapshot

NEVER_USED_ID = 2**62


@dataclass(frozen=True)
class Sample:
    path: str  # ``{product}``, ``{order}``, ... name the world's rows
    body: dict[str, Any] | None = None


SAMPLES: dict[str, Sample] = {
    "Whoami": Sample("/v1/whoami"),
    "GetStore": Sample("/v1/store"),
    "UpdateStore": Sample("/v1/store", {"name": "Renamed Boutique", "settings": {"theme": "dark"}}),
    "ListProducts": Sample("/v1/products?limit=5&status=active"),
    "GetProduct": Sample("/v1/products/{product}"),
    "CreateProduct": Sample("/v1/products", {"name": "Linen Shirt", "price": 2500, "sku": "LIN-001"}),
    "UpdateProduct": Sample("/v1/products/{product}", {"price": 1800}),
    "DeleteProduct": Sample("/v1/products/{product}"),
    "ListOrders": Sample("/v1/orders?limit=5&status=pending"),
    "GetOrder": Sample("/v1/orders/{order}"),
    "UpdateOrder": Sample("/v1/orders/{order}", {"status": "confirmed", "note": "called the customer"}),
    "ListCustomers": Sample("/v1/customers?limit=5"),
    "GetCustomer": Sample("/v1/customers/{customer}"),
    "ListCustomerOrders": Sample("/v1/customers/{customer}/orders?limit=5"),
    "ArchiveCustomer": Sample("/v1/customers/{customer}/archive"),
    "RestoreCustomer": Sample("/v1/customers/{customer}/restore"),
    "EraseCustomer": Sample("/v1/customers/{customer}"),
    "ListCustomerAddresses": Sample("/v1/customers/{customer}/addresses"),
    "AddCustomerAddress": Sample("/v1/customers/{customer}/addresses", {"line1": "5 Rue Didouche", "wilaya_id": 16}),
    "UpdateCustomerAddress": Sample("/v1/customers/{customer}/addresses/{address_id}", {"label": "Work"}),
    "SetDefaultCustomerAddress": Sample("/v1/customers/{customer}/addresses/{address_id}/default"),
    "DeleteCustomerAddress": Sample("/v1/customers/{customer}/addresses/{address_id}"),
    "ListDeliveryZones": Sample("/v1/delivery-zones"),
    "CreateDeliveryZone": Sample(
        "/v1/delivery-zones", {"name": "Sud", "wilaya_ids": [30, 47], "home_fee": 900, "desk_fee": 500}
    ),
    "UpdateDeliveryZone": Sample("/v1/delivery-zones/{zone}", {"home_fee": 450}),
    "DeleteDeliveryZone": Sample("/v1/delivery-zones/{zone}"),
    "ListCustomerTags": Sample("/v1/customer-tags"),
    "CreateCustomer": Sample("/v1/customers", {"phone": "0661 40 50 60", "first_name": "Nadia", "tags": ["vip"]}),
    "UpdateCustomer": Sample("/v1/customers/{customer}", {"locale": "fr-DZ", "metadata": {"tier": "gold"}}),
    "AddCustomerTags": Sample("/v1/customers/{customer}/tags", {"tags": ["vip"]}),
    "RemoveCustomerTags": Sample("/v1/customers/{customer}/tags", {"tags": ["vip"]}),
    "GetCustomerAnalytics": Sample("/v1/customers/{customer}/analytics?top_products_limit=3"),
    "GetCustomerLoyalty": Sample("/v1/customers/{customer}/loyalty?limit=5"),
    "AdjustLoyaltyPoints": Sample("/v1/customers/{customer}/loyalty/adjust", {"delta": 50, "reason": "welcome"}),
    "GetCustomerHouseAccount": Sample("/v1/customers/{customer}/house-account?limit=5"),
    "RecordHouseAccountPayment": Sample(
        "/v1/customers/{customer}/house-account/payments", {"amount": 100, "reason": "cash"}
    ),
    "ListLandingPages": Sample("/v1/landing-pages?limit=5"),
    "GetLandingPage": Sample("/v1/landing-pages/{page}"),
    "CreateLandingPage": Sample("/v1/landing-pages", {"title": "Ramadan sale"}),
    "ListKeys": Sample("/v1/keys?limit=5"),
    "CreateKey": Sample("/v1/keys", {"scopes": ["products:read"], "name": "warehouse sync"}),
    "RevokeKey": Sample("/v1/keys/{spare_key}"),
    "ListWebhooks": Sample("/v1/webhooks?limit=5"),
    "CreateWebhook": Sample("/v1/webhooks", {"url": "https://erp.example.com/dz", "events": ["order.created"]}),
    "DeleteWebhook": Sample("/v1/webhooks/{webhook}"),
    "ListWebhookDeliveries": Sample("/v1/webhooks/{webhook}/deliveries?limit=5"),
    "RedeliverWebhook": Sample("/v1/webhooks/{webhook}/redeliver", {"delivery_id": "dlv_access"}),
    "EnableWebhook": Sample("/v1/webhooks/{webhook}/enable"),
    "GetUsage": Sample("/v1/usage"),
    "GetQuotas": Sample("/v1/quotas"),
    "GetEventCounts": Sample("/v1/events/counts"),
    "ListReviews": Sample("/v1/reviews?limit=5&min_rating=1&from=2020-01-01"),
    "GetReviewStats": Sample("/v1/reviews/stats?from=2020-01-01"),
    "GetReview": Sample("/v1/reviews/{review}"),
    "CreateReview": Sample("/v1/reviews", {"order_id": "{delivered}", "rating": 5, "comment": "Rapide"}),
    "ModerateReview": Sample("/v1/reviews/{review}", {"is_approved": True}),
    "RespondToReview": Sample("/v1/reviews/{review}/response", {"text": "Merci !"}),
    "DeleteReview": Sample("/v1/reviews/{review}"),
}
# The names of the world's rows that samples use, in paths and (as "{name}" string values) in bodies.
ROW_NAMES = ("product", "order", "customer", "page", "spare_key", "webhook", "zone", "review", "delivered")

# The signed tracking rows (POST /v1/signups, /v1/events) take a public key's HMAC signature instead of a Bearer
# key and no Idempotency-Key: another scheme, with tests of its own. Every other row is a platform-key row.
SIGNED_SCOPE = "tracking:write"
ROWS = [row for row in ENDPOINTS if row.scope != SIGNED_SCOPE]
SCOPED_ROWS = [row for row in ROWS if row.scope is not None]
ID_ROWS = [row for row in ROWS if "{id}" in row.path]
WRITE_ROWS = [row for row in ROWS if row.is_write]


def label(row: Endpoint) -> str:
    return row.label


@dataclass
class World:
    """One store with one of everything, and a key holding every scope."""

    store: Store
    key: Key
    product: Product
    order: Order
    customer: Customer
    page: LandingPage
    spare_key: Key
    webhook: WebhookSubscription
    address: CustomerAddress
    zone: DeliveryZone
    # A delivered order with a review, and one without (which POST /v1/reviews reviews).
    review: Review
    delivered: Order

    def ids(self) -> dict[str, int]:
        return {
            "product": self.product.id,
            "order": self.order.id,
            "customer": self.customer.id,
            "page": self.page.id,
            "spare_key": self.spare_key.id,
            "webhook": self.webhook.id,
            "address_id": self.address.id,
            "zone": self.zone.id,
            "review": self.review.id,
            "delivered": self.delivered.id,
        }


async def _world(session) -> World:
    store = await create_store(session, name="Alpha Boutique")
    key = await create_key(session, store)
    product = await create_product(session, store)
    customer = await create_customer(session, store)
    order = await create_order(session, store, customer, [(product, 2)])
    # The customer owes the order on a house account, so a payment has something to pay.
    customer.is_house_account_enabled, customer.house_account_balance = True, order.total
    session.add(
        HouseAccountTransaction(
            store_id=store.id,
            customer_id=customer.id,
            kind="charge",
            amount=order.total,
            reason="access world",
            balance_after=order.total,
            order_id=order.id,
        )
    )
    page = await create_landing_page(session, store, product=product)
    # keys:read: a key holding only keys:write holds it too, so it may revoke this one.
    spare_key = await create_key(session, store, scopes=(Scope.KEYS_READ,))
    webhook = await create_webhook_subscription(session, store)
    session.add(OutboxEvent(store_id=store.id, public_id=f"evt_access_{store.id}", event="order.created", payload={}))
    session.add(
        WebhookDelivery(
            store_id=store.id,
            subscription_id=webhook.id,
            delivery_id="dlv_access",
            event_id=f"evt_access_{store.id}",
            event="order.created",
            response_status=500,
        )
    )
    address = await create_address(session, customer, is_default=True)
    zone = await create_zone(session, store, [16], name="Alger")
    # Another customer's orders: the first customer's orders are asserted whole elsewhere.
    reviewer = await create_customer(session, store)
    reviewed = await create_order(session, store, reviewer, [(product, 1)], status="delivered")
    review = await create_review(session, store, reviewed)
    delivered = await create_order(session, store, reviewer, [(product, 1)], status="delivered")
    await session.flush()
    return World(store, key, product, order, customer, page, spare_key, webhook, address, zone, review, delivered)


@pytest.fixture
async def world(session) -> World:
    made = await _world(session)
    await session.commit()
    return made


@pytest.fixture
async def other_world(session) -> World:
    made = await _world(session)
    await session.commit()
    return made


def request_for(
    row: Endpoint, world: World, *, ids: dict[str, int] | None = None, body: dict[str, Any] | None = None
) -> tuple[str, str, Any]:
    sample = SAMPLES[row.name]
    filled = ids or world.ids()
    sent = body if body is not None else sample.body
    if sent is not None:
        sent = {name: _filled(value, filled) for name, value in sent.items()}
    return row.method, sample.path.format(**filled), sent


def _filled(value: Any, ids: dict[str, int]) -> Any:
    """A body value ``"{name}"`` as the id of the world's row of that name; any other value as it is."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    return value


async def send(
    client: httpx.AsyncClient, row: Endpoint, world: World, key: Key, *, idempotency_key: str | None = "access-1", **kw
) -> httpx.Response:
    method, path, body = request_for(row, world, **kw)
    headers = dict(key.headers)
    if row.is_write and idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return await client.request(method, path, json=body, headers=headers)


async def world_state(sessionmaker, world: World) -> dict[str, Any]:
    """What a /v1 write could change in the world, as committed: its rows and how many of each there are."""
    rows = {
        "store": await snapshot(sessionmaker, Store, world.store.id),
        "product": await snapshot(sessionmaker, Product, world.product.id),
        "order": await snapshot(sessionmaker, Order, world.order.id),
        "customer": await snapshot(sessionmaker, Customer, world.customer.id),
        "page": await snapshot(sessionmaker, LandingPage, world.page.id),
        "spare_key": await snapshot(sessionmaker, ApiKey, world.spare_key.id),
        "webhook": await snapshot(sessionmaker, WebhookSubscription, world.webhook.id),
        "address": await snapshot(sessionmaker, CustomerAddress, world.address.id),
        "zone": await snapshot(sessionmaker, DeliveryZone, world.zone.id),
        "review": await snapshot(sessionmaker, Review, world.review.id),
    }
    models = (
        Product,
        Order,
        Customer,
        LandingPage,
        ApiKey,
        WebhookSubscription,
        WebhookDelivery,
        OutboxEvent,
        CustomerAddress,
        DeliveryZone,
        ZoneWilaya,
        Review,
        LoyaltyTransaction,
        HouseAccountTransaction,
    )
    counts = {model.__name__: await count_rows(sessionmaker, model, world.store.id) for model in models}
    async with sessionmaker() as reading:
        history = (
            select(func.count()).select_from(OrderStatusChange).where(OrderStatusChange.order_id == world.order.id)
        )
        counts["OrderStatusChange"] = int((await reading.execute(history)).scalar_one())
        # Background jobs (a redelivery) belong to no store: every job, as nothing else runs meanwhile.
        counts["Job"] = int((await reading.execute(select(func.count()).select_from(Job))).scalar_one())
    return {"rows": rows, "counts": counts}


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["meta"] == {"request_id": response.headers["x-request-id"], "api_version": "v1"}
    error: dict[str, Any] = body["error"]
    assert error["code"] == code, error
    return error


# --- the table of samples ----------------------------------------------------------------------------------------


def test_every_platform_key_row_has_a_sample():
    assert set(SAMPLES) == {row.name for row in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=label)
def test_every_sample_is_a_request_for_its_row(row):
    sample = SAMPLES[row.name]
    path = sample.path.split("?")[0]
    for name in ROW_NAMES:
        path = path.replace(f"{{{name}}}", "{id}")
    assert path == row.path
    assert (sample.body is not None) == (row.body is not None)


@pytest.mark.parametrize("row", ROWS, ids=label)
async def test_every_row_answers_its_status_to_a_key_holding_every_scope(client, world, row):
    response = await send(client, row, world, world.key)

    expected = row.status
    assert response.status_code == expected, response.text
    assert "data" in response.json()


# --- scopes ------------------------------------------------------------------------------------------------------


def all_scopes_but(scope: Scope) -> tuple[Scope, ...]:
    """Every scope that does not give ``scope``: not it, nor the write scope that includes it."""
    return tuple(s for s in ALL_SCOPES if s is not scope and WRITE_SCOPE_OF_READ.get(scope) != s)


@pytest.mark.parametrize("row", SCOPED_ROWS, ids=label)
async def test_a_key_without_the_rows_scope_is_insufficient_scope_naming_it(client, session, world, row):
    assert row.scope is not None
    lacking = await create_key(session, world.store, scopes=all_scopes_but(row.scope))
    await session.commit()

    response = await send(client, row, world, lacking)

    error = error_of(response, 403, "insufficient_scope")
    assert f"'{row.scope.value}'" in error["message"]


@pytest.mark.parametrize("row", [row for row in SCOPED_ROWS if row.is_write], ids=label)
async def test_a_write_refused_for_its_scope_changes_nothing(client, session, sessionmaker, world, row):
    assert row.scope is not None
    lacking = await create_key(session, world.store, scopes=tuple(s for s in ALL_SCOPES if s is not row.scope))
    await session.commit()
    before = await world_state(sessionmaker, world)

    await send(client, row, world, lacking)

    assert await world_state(sessionmaker, world) == before


# A key holding only keys:write may grant only keys:write (and keys:read, which it includes).
ONLY_SCOPE_BODIES = {"CreateKey": {"scopes": ["keys:write"], "name": "key minter"}}
# The read rows whose scope a write scope includes.
ROWS_READABLE_BY_A_WRITE_SCOPE = [row for row in SCOPED_ROWS if row.scope in WRITE_SCOPE_OF_READ]


@pytest.mark.parametrize("row", SCOPED_ROWS, ids=label)
async def test_a_key_holding_only_the_rows_scope_gets_the_rows_answer(client, session, world, row):
    """The table's scope is what the endpoint needs (contract §2): a write-only key may write. The REST
    representation of a write's result must not need the read scope on top."""
    assert row.scope is not None
    only = await create_key(session, world.store, scopes=(row.scope,))
    await session.commit()

    response = await send(client, row, world, only, body=ONLY_SCOPE_BODIES.get(row.name))

    expected = row.status
    assert response.status_code == expected, response.text


@pytest.mark.parametrize("row", [row for row in SCOPED_ROWS if row.is_write], ids=label)
async def test_a_write_refused_to_a_key_holding_only_the_rows_scope_changed_nothing(
    client, session, sessionmaker, world, row
):
    """A refusal must never hide a write that happened: the client would retry it (and a 403 is not kept for
    Idempotency-Key replays, so the retry runs it again)."""
    assert row.scope is not None
    only = await create_key(session, world.store, scopes=(row.scope,))
    await session.commit()
    before = await world_state(sessionmaker, world)

    response = await send(client, row, world, only, body=ONLY_SCOPE_BODIES.get(row.name))

    if response.status_code != row.status:
        assert await world_state(sessionmaker, world) == before, f"answered {response.status_code} but wrote"


async def test_whoami_answers_a_key_without_any_scope(client, session, world):
    bare = await create_key(session, world.store, scopes=())
    await session.commit()

    response = await client.get("/v1/whoami", headers=bare.headers)

    assert response.status_code == 200
    assert response.json()["data"]["scopes"] == []


@pytest.mark.parametrize("row", ROWS_READABLE_BY_A_WRITE_SCOPE, ids=label)
async def test_a_key_holding_only_the_write_scope_gets_the_read_rows_answer(client, session, world, row):
    """A write scope includes its read scope (contract §2), on every row as in GraphQL."""
    assert row.scope is not None
    writer = await create_key(session, world.store, scopes=(Scope(WRITE_SCOPE_OF_READ[row.scope]),))
    await session.commit()

    response = await send(client, row, world, writer)

    assert response.status_code == row.status, response.text


@pytest.mark.parametrize("scope", [Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE])
async def test_a_customers_orders_answer_a_key_with_customers_scope_alone(client, session, world, scope):
    """GET /v1/customers/{id}/orders needs customers:read, as the Customers reference says: a customer's orders are
    part of the customer."""
    customers_only = await create_key(session, world.store, scopes=(scope,))
    await session.commit()

    response = await client.get(f"/v1/customers/{world.customer.id}/orders", headers=customers_only.headers)

    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["data"]["items"]] == [world.order.id]


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/orders/{order}"])
async def test_the_stores_orders_still_need_orders_read_from_a_customers_key(client, session, world, path):
    customers_only = await create_key(session, world.store, scopes=(Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE))
    await session.commit()

    response = await client.get(path.format(**world.ids()), headers=customers_only.headers)

    error = error_of(response, 403, "insufficient_scope")
    assert "'orders:read'" in error["message"]


@pytest.mark.parametrize("row", ROWS, ids=label)
async def test_a_request_without_a_key_is_unauthorized(client, world, row):
    method, path, body = request_for(row, world)

    response = await client.request(method, path, json=body, headers={"Idempotency-Key": "access-1"})

    error_of(response, 401, "unauthorized")


@pytest.mark.parametrize("row", ROWS, ids=label)
async def test_a_revoked_key_is_unauthorized(client, session, world, row):
    revoked = await create_key(session, world.store)
    await session.commit()
    revoke = await client.delete(f"/v1/keys/{revoked.id}", headers={**world.key.headers, "Idempotency-Key": "revoke"})
    assert revoke.status_code == 200, revoke.text

    response = await send(client, row, world, revoked)

    error_of(response, 401, "unauthorized")


# --- tenancy -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", ID_ROWS, ids=label)
async def test_another_stores_id_is_not_found(client, world, other_world, row):
    response = await send(client, row, world, other_world.key)

    error = error_of(response, 404, "not_found")
    assert "not found" in error["message"]


@pytest.mark.parametrize("row", ID_ROWS, ids=label)
async def test_another_stores_id_reads_like_an_id_that_never_existed(client, world, other_world, row):
    foreign = await send(client, row, world, other_world.key, idempotency_key="foreign")
    missing = await send(
        client, row, world, other_world.key, idempotency_key="missing", ids=dict.fromkeys(world.ids(), NEVER_USED_ID)
    )

    foreign_error = str(foreign.json()["error"])
    for id_name in re.findall(r"\{(\w+)\}", SAMPLES[row.name].path):
        foreign_error = foreign_error.replace(str(world.ids()[id_name]), "<id>")
    missing_error = missing.json()["error"]
    assert foreign.status_code == missing.status_code == 404
    assert foreign_error == str(missing_error).replace(str(NEVER_USED_ID), "<id>")
    assert "Alpha" not in foreign.text


@pytest.mark.parametrize("row", [row for row in ID_ROWS if row.is_write], ids=label)
async def test_a_write_to_another_stores_id_changes_nothing_there(client, sessionmaker, world, other_world, row):
    before = await world_state(sessionmaker, world)

    await send(client, row, world, other_world.key)

    assert await world_state(sessionmaker, world) == before


# --- Idempotency-Key ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", WRITE_ROWS, ids=label)
async def test_a_write_without_idempotency_key_is_refused(client, world, row):
    response = await send(client, row, world, world.key, idempotency_key=None)

    error = error_of(response, 400, "idempotency_key_required")
    assert "Idempotency-Key" in error["message"]


@pytest.mark.parametrize("row", WRITE_ROWS, ids=label)
async def test_a_write_without_idempotency_key_changes_nothing(client, sessionmaker, world, row):
    before = await world_state(sessionmaker, world)

    await send(client, row, world, world.key, idempotency_key=None)

    assert await world_state(sessionmaker, world) == before


@pytest.mark.parametrize("row", WRITE_ROWS, ids=label)
async def test_a_repeated_write_is_replayed_with_the_first_status_and_body(client, world, row):
    first = await send(client, row, world, world.key, idempotency_key=f"replay-{row.name}")
    again = await send(client, row, world, world.key, idempotency_key=f"replay-{row.name}")

    assert first.status_code == row.status, first.text
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.status_code == first.status_code
    assert again.json()["data"] == first.json()["data"]


@pytest.mark.parametrize("row", WRITE_ROWS, ids=label)
async def test_a_repeated_write_runs_once(client, sessionmaker, world, row):
    await send(client, row, world, world.key, idempotency_key=f"once-{row.name}")
    after_first = await world_state(sessionmaker, world)

    await send(client, row, world, world.key, idempotency_key=f"once-{row.name}")

    assert await world_state(sessionmaker, world) == after_first


async def test_a_repeated_create_creates_one_product(client, sessionmaker, world):
    before = await count_rows(sessionmaker, Product, world.store.id)
    headers = {**world.key.headers, "Idempotency-Key": "csv-row-LIN-001"}
    body = SAMPLES["CreateProduct"].body

    responses = [await client.post("/v1/products", json=body, headers=headers) for _ in range(3)]

    assert await count_rows(sessionmaker, Product, world.store.id) == before + 1
    assert len({response.json()["data"]["id"] for response in responses}) == 1


async def test_the_same_idempotency_key_with_another_body_is_idempotency_key_reused(client, sessionmaker, world):
    headers = {**world.key.headers, "Idempotency-Key": "reused"}
    await client.post("/v1/products", json={"name": "Linen Shirt", "price": 2500}, headers=headers)
    before = await count_rows(sessionmaker, Product, world.store.id)

    response = await client.post("/v1/products", json={"name": "Wool Shirt", "price": 2500}, headers=headers)

    error_of(response, 422, "idempotency_key_reused")
    assert await count_rows(sessionmaker, Product, world.store.id) == before


# --- rate limits -------------------------------------------------------------------------------------------------

PER_MINUTE = 3
LIMITED_PLAN = "rest_three_a_minute"


@pytest.fixture(scope="module")
async def limited_app(database_url: str) -> AsyncIterator[FastAPI]:
    """An app whose configuration has a plan of 3 requests a minute (tests/platform_layer/test_rate_limits.py: plans are
    configuration)."""
    plan = Plan(
        requests_per_minute=PER_MINUTE, requests_per_month=None, signups_per_month=None, webhooks_per_month=None
    )
    application = create_app(app_settings(database_url, plans={LIMITED_PLAN: plan}))
    yield application
    await services_of(application).engine.dispose()


@pytest.fixture
async def limited_client(limited_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        yield http


@pytest.fixture
async def limited_key(session) -> Key:
    key = await create_key(session, await create_store(session, plan=LIMITED_PLAN))
    await session.commit()
    return key


async def test_a_v1_response_carries_the_rate_limit_headers(client, world):
    first = await client.get("/v1/whoami", headers=world.key.headers)
    second = await client.get("/v1/whoami", headers=world.key.headers)

    assert first.headers["x-ratelimit-limit"] == second.headers["x-ratelimit-limit"] == "6000"  # enterprise
    assert int(second.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"]) - 1
    assert int(second.headers["x-ratelimit-reset"]) >= int(time.time())


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/no-such-endpoint"), ("GET", "/v1/products?limit=0"), ("GET", "/v1/orders/999")]
)
async def test_a_v1_error_carries_the_rate_limit_headers_too(client, world, method, path):
    response = await client.request(method, path, headers=world.key.headers)

    assert response.status_code >= 400
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(response.headers)


async def test_the_plans_limit_on_v1_counts_down_to_zero(limited_client, limited_key):
    responses = [await limited_client.get("/v1/whoami", headers=limited_key.headers) for _ in range(PER_MINUTE)]

    assert [response.status_code for response in responses] == [200] * PER_MINUTE
    assert [response.headers["x-ratelimit-remaining"] for response in responses] == ["2", "1", "0"]
    assert {response.headers["x-ratelimit-limit"] for response in responses} == {str(PER_MINUTE)}


async def test_a_v1_request_over_the_plans_limit_is_rate_limited_in_the_envelope(limited_client, limited_key):
    for _ in range(PER_MINUTE):
        await limited_client.get("/v1/whoami", headers=limited_key.headers)

    response = await limited_client.get("/v1/whoami", headers=limited_key.headers)

    error = error_of(response, 429, "rate_limited")
    assert isinstance(error["retry_after"], int)
    assert 1 <= error["retry_after"] <= 60
    assert response.headers["retry-after"] == str(error["retry_after"])
    assert response.headers["x-ratelimit-remaining"] == "0"


async def test_v1_and_graphql_share_one_window(limited_client, limited_key):
    await limited_client.get("/v1/whoami", headers=limited_key.headers)
    await limited_client.post("/graphql", json={"query": "{ viewer { keyId } }"}, headers=limited_key.headers)
    await limited_client.get("/v1/store", headers=limited_key.headers)

    rest = await limited_client.get("/v1/whoami", headers=limited_key.headers)
    graphql = await limited_client.post("/graphql", json={"query": "{ viewer { keyId } }"}, headers=limited_key.headers)

    error_of(rest, 429, "rate_limited")
    assert graphql.status_code == 429
    assert graphql.json()["errors"][0]["extensions"]["code"] == "rate_limited"


async def test_a_write_over_the_limit_creates_nothing(limited_client, sessionmaker, limited_key):
    for _ in range(PER_MINUTE):
        await limited_client.get("/v1/whoami", headers=limited_key.headers)

    response = await limited_client.post(
        "/v1/products",
        json={"name": "Linen Shirt", "price": 2500},
        headers={**limited_key.headers, "Idempotency-Key": "over-the-limit"},
    )

    error_of(response, 429, "rate_limited")
    assert await count_rows(sessionmaker, Product, limited_key.store_id) == 0


async def test_a_key_over_the_limit_does_not_hold_back_another_key_of_its_store(limited_client, session, limited_key):
    store = await session.get(Store, limited_key.store_id)
    other = await create_key(session, store)
    await session.commit()
    for _ in range(PER_MINUTE + 1):
        await limited_client.get("/v1/whoami", headers=limited_key.headers)

    response = await limited_client.get("/v1/whoami", headers=other.headers)

    assert response.status_code == 200

"""eraseCustomer / DELETE /v1/customers/{id} (the right to erasure): after it no response, no row of any table (JSON
included) and no queued payload holds the customer's phone, email or names; totals and items stay; the phone makes a
new customer; it is irreversible, needs customers:erase, and fires customer.erased without personal data."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from db.base import Base
from db.models import Customer, OutboxEvent
from db.queries.erasure import erase_rows
from storegraph.job_registry import all_handlers
from storegraph.platform.auth.scopes import ALL_SCOPES, DEFAULT_PLATFORM_SCOPES, Scope
from storegraph.platform.errors import ValidationFailed
from storegraph.rules.customers import erasure
from storegraph.rules.webhooks.dispatch import dispatch_outbox
from tests.support.factories import Key, create_customer, create_key, create_product, create_store
from tests.support.mutation_helpers import assert_insufficient_scope, snapshot, succeeded, user_errors
from tests.support.tracking_support import create_public_key, post_signed
from tests.webhooks.test_webhook_delivery_support import Answer, DrainingWorker, draining_worker, receiver

ERASE = """
mutation($id: ID!) {
  eraseCustomer(id: $id) {
    erasedId
    customer { id firstName lastName phone email commune address notes erasedAt archivedAt totalOrders totalSpent }
    userErrors { field code message }
  }
}
"""
PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id total } customer { id } userErrors { field code message } }
}
"""
SUBSCRIBE = """
mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { webhookSubscription { id } userErrors { field code message } }
}
"""
CUSTOMER_IN_FULL = """
query($id: ID!) {
  customer(id: $id) {
    id firstName lastName phone email wilayaId commune address notes totalOrders totalSpent lastOrderAt fraudScore
    isBanned banReason bannedAt archivedAt erasedAt createdAt updatedAt
    orders(first: 50) {
      nodes {
        id customerName customerPhone customerEmail commune address notes total
        items { productName quantity total }
        statusHistory { note toStatus }
      }
    }
  }
}
"""


@dataclass(frozen=True)
class Person:
    """A buyer whose every value is unique to one test, so the database dump can be searched for them."""

    first_name: str
    last_name: str
    phone: str
    email: str
    address: str
    commune: str

    @classmethod
    def new(cls) -> Person:
        tag = "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
        return cls(
            first_name=f"Zoubida{tag}",
            last_name=f"Kherbouche{tag}",
            phone=f"0770{secrets.randbelow(10**6):06d}",
            email=f"zoubida.{tag}@example.org",
            address=f"17 Rue des Glycines {tag}",
            commune=f"Ouled {tag}",
        )

    @property
    def needles(self) -> list[str]:
        """What must be found nowhere: the national digits cover every spelling of the phone (0770..., +213770...)."""
        return [self.first_name, self.last_name, self.phone[1:], self.email, self.address, self.commune]

    def buyer(self, phone: str | None = None) -> dict[str, Any]:
        return {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "phone": phone or self.phone,
            "email": self.email,
            "wilayaId": 16,
            "commune": self.commune,
            "address": self.address,
            "deviceFingerprint": f"device-{self.first_name}",
        }


def found_in(text: str, person: Person) -> list[str]:
    lowered = text.lower()
    return [needle for needle in person.needles if needle.lower() in lowered]


def write_headers(key: Key, idempotency_key: str) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": idempotency_key}


async def place(gql, key: Key, product_id: int, buyer: dict[str, Any], notes: str | None = None) -> dict[str, Any]:
    variables = {"input": {"lines": [{"productId": str(product_id), "quantity": 2}], "customer": buyer, "notes": notes}}
    return succeeded(await gql.query(PLACE, variables, headers=key.headers), "placeOrder")


async def drain(worker: DrainingWorker) -> None:
    """Dispatches the outbox and runs every due job (tracking's and webhooks') until nothing is left."""
    handlers = all_handlers()
    for _ in range(50):
        dispatched = await dispatch_outbox(worker.context)
        jobs = await worker.queue.claim("erasure-test", limit=100, lease_seconds=60)
        for job in jobs:
            await handlers[job.kind](job, worker.context)
            await worker.queue.complete(job)
        if not dispatched and not jobs:
            return
    raise AssertionError("the queue did not drain")


async def database_dump(sessionmaker) -> str:
    """Every row of every table, every column (JSON payloads included), as text."""
    lines: list[str] = []
    async with sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store, price=2500)
    await session.commit()
    return store, key, product


# --- the cascade, end to end ---------------------------------------------------------------------------------------


async def test_after_erasure_no_response_row_or_queued_payload_holds_the_customer(
    app, client, gql, session, sessionmaker, shop
):
    store, key, product = shop
    person = Person.new()
    bystander = await create_customer(session, store, first_name="Bystander")
    public = await create_public_key(session, store)
    await session.commit()
    echo = f'{{"received": "{person.phone}", "from": "{person.first_name}"}}'.encode()
    async with receiver() as hooks, draining_worker(app) as worker:
        # A receiver that echoes what it got: its answers, kept in the delivery log, hold the customer's data.
        # One answer per delivery before the erasure; later ones get the plain default answer.
        for event, deliveries in (("order.created", 2), ("order.confirmed", 1), ("signup.counted", 1)):
            hooks.script(*[Answer(200, body=echo)] * deliveries, event=event)
        events = ["order.created", "order.confirmed", "signup.counted", "customer.erased"]
        created = await gql.query(SUBSCRIBE, {"input": {"url": hooks.url, "events": events}}, headers=key.headers)
        subscription_id = succeeded(created, "createWebhookSubscription")["webhookSubscription"]["id"]
        first = await place(gql, key, product.id, person.buyer(), notes=f"ring {person.first_name} twice")
        second = await place(gql, key, product.id, person.buyer(phone=f"+213{person.phone[1:]}"))
        customer_id = int(first["customer"]["id"])
        assert second["customer"]["id"] == first["customer"]["id"]
        confirmed = await client.patch(
            f"/v1/orders/{first['order']['id']}",
            json={"status": "confirmed", "note": f"{person.first_name} confirmed by phone"},
            headers=write_headers(key, "confirm-1"),
        )
        assert confirmed.status_code == 200, confirmed.text
        address = await client.post(
            f"/v1/customers/{customer_id}/addresses",
            json={"line1": f"Villa {person.last_name}", "wilaya_id": 16, "phone": person.phone},
            headers=write_headers(key, "address-1"),
        )
        assert address.status_code == 201, address.text
        signup = {"email": person.email.upper(), "phone": person.phone, "name": person.first_name}
        assert (
            await post_signed(client, "/v1/signups", public, {**signup, "metadata": {"n": person.last_name}})
        ).status_code == 202
        await drain(worker)
        # A second signup stays in the queue: the erasure must scrub the job's payload too.
        assert (await post_signed(client, "/v1/signups", public, {"email": person.email})).status_code == 202
        assert found_in(await database_dump(sessionmaker), person), "the test's data never reached the database"
        before = await gql.query(CUSTOMER_IN_FULL, {"id": str(customer_id)}, headers=key.headers)
        bystander_before = await snapshot(sessionmaker, Customer, bystander.id)

        erased = await client.delete(f"/v1/customers/{customer_id}", headers=write_headers(key, "erase-1"))

        assert erased.status_code == 200, erased.text
        assert erased.json()["data"] == {"id": customer_id, "erased": True}
        await drain(worker)
        dump = await database_dump(sessionmaker)
        assert [line for line in dump.splitlines() if found_in(line, person)] == []
        answers = [
            await client.get(f"/v1/customers/{customer_id}", headers=key.headers),
            await client.get("/v1/customers?is_archived=true", headers=key.headers),
            await client.get(f"/v1/customers/{customer_id}/orders", headers=key.headers),
            await client.get(f"/v1/customers/{customer_id}/addresses", headers=key.headers),
            await client.get(f"/v1/orders/{first['order']['id']}", headers=key.headers),
            await client.get(f"/v1/orders/{second['order']['id']}", headers=key.headers),
            await client.get("/v1/orders", headers=key.headers),
            await client.get(f"/v1/webhooks/{subscription_id}/deliveries", headers=key.headers),
        ]
        assert all(answer.status_code == 200 for answer in answers)
        for answer in answers:
            assert found_in(answer.text, person) == [], answer.url
        after = await gql.query(CUSTOMER_IN_FULL, {"id": str(customer_id)}, headers=key.headers)
        signups = await gql.query("{ signups(first: 50) { nodes { email phone name metadata } } }", headers=key.headers)
        assert found_in(str(after), person) == []
        assert found_in(str(signups), person) == []
        erased_hooks = hooks.of("customer.erased")
        assert len(erased_hooks) == 1
        assert set(erased_hooks[0].json()["data"]) == {"id", "erased_at"}
        assert erased_hooks[0].json()["data"]["id"] == customer_id
    was, now = before["data"]["customer"], after["data"]["customer"]
    assert (now["totalOrders"], now["totalSpent"]) == (was["totalOrders"], was["totalSpent"]) == (2, 10000)
    assert [(o["total"], o["items"]) for o in now["orders"]["nodes"]] == [
        (o["total"], o["items"]) for o in was["orders"]["nodes"]
    ]
    assert now["erasedAt"] is not None
    assert now["archivedAt"] is not None
    assert await snapshot(sessionmaker, Customer, bystander.id) == bystander_before


async def test_a_checkout_with_an_erased_customers_phone_makes_a_new_customer(gql, sessionmaker, shop):
    _store, key, product = shop
    person = Person.new()
    first = await place(gql, key, product.id, person.buyer())
    erased_id = int(first["customer"]["id"])
    succeeded(await gql.query(ERASE, {"id": str(erased_id)}, headers=key.headers), "eraseCustomer")

    again = await place(gql, key, product.id, person.buyer())

    new_id = int(again["customer"]["id"])
    assert new_id != erased_id
    new, old = await snapshot(sessionmaker, Customer, new_id), await snapshot(sessionmaker, Customer, erased_id)
    assert (new["phone"], new["total_orders"], new["erased_at"]) == (person.phone, 1, None)
    assert (old["phone"], old["total_orders"]) == (f"erased:{erased_id}", 1)


# --- the mutation ------------------------------------------------------------------------------------------------


async def test_erase_answers_the_customer_without_personal_data(session, gql, shop):
    store, key, _product = shop
    customer = await create_customer(session, store, email="amine@example.org", total_orders=3, total_spent=4500)
    await session.commit()

    payload = await gql.query(ERASE, {"id": str(customer.id)}, headers=key.headers)

    result = succeeded(payload, "eraseCustomer")
    assert result["erasedId"] == str(customer.id)
    assert result["customer"] == {
        "id": str(customer.id),
        "firstName": "",
        "lastName": "",
        "phone": f"erased:{customer.id}",
        "email": None,
        "commune": None,
        "address": None,
        "notes": None,
        "erasedAt": result["customer"]["erasedAt"],
        "archivedAt": result["customer"]["erasedAt"],
        "totalOrders": 3,
        "totalSpent": 4500,
    }


async def test_erase_clears_the_stored_but_never_shown_fields(session, gql, sessionmaker, shop):
    store, key, _product = shop
    customer = await create_customer(session, store)
    await session.commit()

    succeeded(await gql.query(ERASE, {"id": str(customer.id)}, headers=key.headers), "eraseCustomer")

    row = await snapshot(sessionmaker, Customer, customer.id)
    assert (row["device_fingerprint"], row["identity_id"]) == (None, None)


async def test_an_erased_customer_leaves_the_list(session, gql, shop):
    store, key, _product = shop
    customer = await create_customer(session, store)
    await session.commit()
    succeeded(await gql.query(ERASE, {"id": str(customer.id)}, headers=key.headers), "eraseCustomer")

    payload = await gql.query("{ customers(first: 50) { totalCount } }", headers=key.headers)

    assert payload["data"]["customers"]["totalCount"] == 0


async def test_the_customer_erased_event_carries_the_id_and_time_only(session, gql, sessionmaker, shop):
    store, key, _product = shop
    customer = await create_customer(session, store)
    await session.commit()

    succeeded(await gql.query(ERASE, {"id": str(customer.id)}, headers=key.headers), "eraseCustomer")

    async with sessionmaker() as reading:
        stmt = select(OutboxEvent.payload).where(
            OutboxEvent.store_id == store.id, OutboxEvent.event == "customer.erased"
        )
        [payload] = (await reading.execute(stmt)).scalars().all()
    assert set(payload) == {"id", "erased_at"}
    assert payload["id"] == customer.id


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (ERASE, "eraseCustomer"),
        ("mutation($id: ID!) { restoreCustomer(id: $id) { userErrors { field code } } }", "restoreCustomer"),
        ("mutation($id: ID!) { archiveCustomer(id: $id) { userErrors { field code } } }", "archiveCustomer"),
        ("mutation($id: ID!) { unbanCustomer(id: $id) { userErrors { field code } } }", "unbanCustomer"),
        (
            'mutation($id: ID!) { banCustomer(input: {id: $id, reason: "x"}) { userErrors { field code } } }',
            "banCustomer",
        ),
        (
            'mutation($id: ID!) { updateCustomerNotes(input: {id: $id, notes: "x"}) { userErrors { field code } } }',
            "updateCustomerNotes",
        ),
        (
            'mutation($id: ID!) { updateCustomer(input: {id: $id, firstName: "x"}) { userErrors { field code } } }',
            "updateCustomer",
        ),
        (
            'mutation($id: ID!) { addCustomerTags(id: $id, tags: ["x"]) { userErrors { field code } } }',
            "addCustomerTags",
        ),
        (
            'mutation($id: ID!) { removeCustomerTags(id: $id, tags: ["x"]) { userErrors { field code } } }',
            "removeCustomerTags",
        ),
    ],
)
async def test_an_erased_customer_cannot_be_changed_again(session, gql, sessionmaker, shop, document, field):
    store, key, _product = shop
    customer = await create_customer(session, store)
    await session.commit()
    succeeded(await gql.query(ERASE, {"id": str(customer.id)}, headers=key.headers), "eraseCustomer")
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(document, {"id": str(customer.id)}, headers=key.headers)

    assert user_errors(payload, field) == [("id", "customer_erased")]
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_erasing_again_through_rest_is_409_customer_erased(session, client, shop):
    store, key, _product = shop
    customer = await create_customer(session, store)
    await session.commit()
    assert (await client.delete(f"/v1/customers/{customer.id}", headers=write_headers(key, "e-1"))).status_code == 200

    again = await client.delete(f"/v1/customers/{customer.id}", headers=write_headers(key, "e-2"))

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "customer_erased"


async def test_erasing_another_stores_customer_is_not_found(session, gql, sessionmaker, shop):
    store, _key, _product = shop
    customer = await create_customer(session, store)
    other = await create_key(session, await create_store(session))
    await session.commit()
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(ERASE, {"id": str(customer.id)}, headers=other.headers)

    assert user_errors(payload, "eraseCustomer") == [("id", "not_found")]
    assert payload["data"]["eraseCustomer"]["erasedId"] is None
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_erase_with_a_malformed_id_is_a_validation_error(gql, shop):
    _store, key, _product = shop

    assert user_errors(await gql.query(ERASE, {"id": "x1"}, headers=key.headers), "eraseCustomer") == [
        ("id", "invalid")
    ]


# --- the scope ---------------------------------------------------------------------------------------------------


def test_customers_erase_is_in_no_default_scope_set_and_no_write_scope_includes_it():
    assert Scope.CUSTOMERS_ERASE not in DEFAULT_PLATFORM_SCOPES
    assert Scope.CUSTOMERS_ERASE in ALL_SCOPES


async def test_a_key_with_customers_write_but_not_customers_erase_cannot_erase(
    session, gql, client, sessionmaker, shop
):
    store, _key, _product = shop
    customer = await create_customer(session, store)
    writer = await create_key(session, store, scopes=tuple(s for s in ALL_SCOPES if s is not Scope.CUSTOMERS_ERASE))
    await session.commit()
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(ERASE, {"id": str(customer.id)}, headers=writer.headers)
    rest = await client.delete(f"/v1/customers/{customer.id}", headers=write_headers(writer, "e-3"))

    assert_insufficient_scope(payload, "eraseCustomer", "customers:erase")
    assert rest.status_code == 403
    assert "customers:erase" in rest.json()["error"]["message"]
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_a_key_holding_only_customers_erase_erases_and_sees_the_id(session, gql, shop):
    store, _key, _product = shop
    customer = await create_customer(session, store)
    eraser = await create_key(session, store, scopes=(Scope.CUSTOMERS_ERASE,))
    await session.commit()

    payload = await gql.query(
        "mutation($id: ID!) { eraseCustomer(id: $id) { erasedId userErrors { code } } }",
        {"id": str(customer.id)},
        headers=eraser.headers,
    )

    assert succeeded(payload, "eraseCustomer")["erasedId"] == str(customer.id)


# --- one transaction ---------------------------------------------------------------------------------------------


async def test_an_erasure_that_fails_half_way_changes_nothing(session, gql, sessionmaker, shop, monkeypatch):
    _store, key, product = shop
    person = Person.new()
    placed = await place(gql, key, product.id, person.buyer())
    customer_id = int(placed["customer"]["id"])
    real = erase_rows

    async def failing(session: Any, table: str, *args: Any) -> None:
        if table == "orders":
            raise ValidationFailed.single("id", "invalid", "stop half-way")
        await real(session, table, *args)

    monkeypatch.setattr(erasure, "erase_rows", failing)
    before = await database_dump(sessionmaker)

    payload = await gql.query(ERASE, {"id": str(customer_id)}, headers=key.headers)

    assert user_errors(payload, "eraseCustomer") == [("id", "invalid")]
    assert await database_dump(sessionmaker) == before


async def test_an_erased_customer_gets_no_new_address(session, gql, sessionmaker, shop):
    store, key, _product = shop
    customer = await create_customer(session, store)
    await session.commit()
    succeeded(await gql.query(ERASE, {"id": str(customer.id)}, headers=key.headers), "eraseCustomer")
    document = (
        'mutation($id: ID!) { addCustomerAddress(input: {customerId: $id, line1: "5 Rue Didouche", wilayaId: 16}) '
        "{ address { id } userErrors { field code } } }"
    )

    payload = await gql.query(document, {"id": str(customer.id)}, headers=key.headers)

    assert user_errors(payload, "addCustomerAddress") == [("customerId", "customer_erased")]
    assert payload["data"]["addCustomerAddress"]["address"] is None

"""The hot writes cost a fixed number of SQL statements: a regression that adds a round trip (a re-read after the
write, a lookup the insert can answer, a separate SELECT) fails here.

Counts leave out transaction control (``BEGIN``, savepoints) as tests/rest_compat/test_rest_query_counts.py does,
and include authentication's key lookup (the test apps cache no key) and the two statements of the Idempotency-Key
record in the database: its reservation before the operation, its sealed answer after.
"""

from __future__ import annotations

import re
from typing import Any

from db.models import Customer, Product
from tests.support.factories import Key, create_customer, create_key, create_product, create_store
from tests.support.rest_calls import data_of, writing

TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)

# auth, reservation, the insert (its slug and every column answered by it), the sealed answer
CREATE_PRODUCT_STATEMENTS = 4
# auth, reservation, lock, update, history entry, items (for the event and the payload alike), the event, the
# payload's history, the sealed answer
UPDATE_ORDER_STATEMENTS = 9
# auth, reservation; store, products, ban check, zone fee, stock, customer upsert, order, item, history entry,
# fraud tallies, shared device, fraud score, the event; the payload's customer; the sealed answer
PLACE_ORDER_STATEMENTS = 18

PLACE_ORDER = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id status total items { quantity } } customer { id } userErrors { code } }
}
"""


def _version_raise(database_url: str) -> int:
    """The statement that raises the store's data version (which the ETags of its GETs are made from): the
    session's upsert before COMMIT on SQLite; on PostgreSQL the database's trigger raises it in the COMMIT."""
    return 0 if database_url.startswith("postgresql") else 1


def _queries(counter: Any) -> list[str]:
    return [statement for statement in counter.statements if not TRANSACTION_CONTROL.match(statement)]


async def _shop(session, client) -> tuple[Key, Product, Customer]:
    """A store with a product and a customer, and its key used once for a read and once for a write: a key's first
    use records its ``last_used_at``, and the idempotency store sweeps expired records on its first write (then once
    in ten minutes)."""
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store)
    customer = await create_customer(session, store)
    await session.commit()
    data_of(await client.get("/v1/whoami", headers=key.headers))
    data_of(await client.post("/v1/products", json={"name": "First", "price": 100}, headers=writing(key)), 201)
    return key, product, customer


def _checkout(product: Product, customer: Customer) -> dict[str, Any]:
    buyer = {"phone": customer.phone, "firstName": "Amine", "wilayaId": 16, "deviceFingerprint": "device-1"}
    return {
        "query": PLACE_ORDER,
        "variables": {"input": {"customer": buyer, "lines": [{"productId": str(product.id)}]}},
    }


async def test_creating_a_product_runs_four_statements_and_the_version_s_raise(
    session, client, count_statements, database_url
):
    key, _, _ = await _shop(session, client)

    with count_statements() as counter:
        response = await client.post(
            "/v1/products", json={"name": "Tapis berbère", "price": 1500}, headers=writing(key)
        )

    assert data_of(response, 201)["slug"] == "tapis-berbere"
    assert len(_queries(counter)) == CREATE_PRODUCT_STATEMENTS + _version_raise(database_url), counter.statements


async def test_creating_a_product_whose_slug_is_taken_looks_the_free_one_up(
    session, client, count_statements, database_url
):
    key, _, _ = await _shop(session, client)
    await client.post("/v1/products", json={"name": "Tapis", "price": 1500}, headers=writing(key))

    with count_statements() as counter:
        response = await client.post("/v1/products", json={"name": "Tapis", "price": 1500}, headers=writing(key))

    assert data_of(response, 201)["slug"] == "tapis-2"
    # the insert that found the slug taken, the lookup of the free one, the insert that took it
    assert len(_queries(counter)) == CREATE_PRODUCT_STATEMENTS + 2 + _version_raise(database_url), counter.statements


async def test_moving_an_order_through_its_status_machine_runs_nine_statements_and_the_version_s_raise(
    session, client, count_statements, database_url
):
    key, product, customer = await _shop(session, client)
    placed = await client.post("/graphql", json=_checkout(product, customer), headers=writing(key))
    order_id = placed.json()["data"]["placeOrder"]["order"]["id"]

    with count_statements() as counter:
        response = await client.patch(f"/v1/orders/{order_id}", json={"status": "confirmed"}, headers=writing(key))

    order = data_of(response)
    assert (order["status"], len(order["items"]), len(order["status_history"])) == ("confirmed", 1, 2)
    assert len(_queries(counter)) == UPDATE_ORDER_STATEMENTS + _version_raise(database_url), counter.statements


async def test_placing_an_order_runs_eighteen_statements_and_the_version_s_raise(
    session, client, count_statements, database_url
):
    key, product, customer = await _shop(session, client)

    with count_statements() as counter:
        response = await client.post("/graphql", json=_checkout(product, customer), headers=writing(key))

    placed = response.json()["data"]["placeOrder"]
    assert (placed["userErrors"], placed["order"]["status"], placed["customer"]["id"]) == (
        [],
        "PENDING",
        str(customer.id),
    )
    assert len(_queries(counter)) == PLACE_ORDER_STATEMENTS + _version_raise(database_url), counter.statements

"""The ledgers' reads at scale: a page of customers with both ledgers costs the statements of a page of one, runs
compiled, and is costed as connections are."""

from __future__ import annotations

import dataclasses

from db.models import HouseAccountTransaction, LoyaltyTransaction
from tests.schema.test_compiled_differential import compiled_of
from tests.support.factories import create_customer, create_key, create_store

PAGE = (
    "{ customers(first: 50) { nodes { id loyaltyBalance houseAccountBalance houseAccountLimit "
    "loyaltyTransactions(first: 3) { totalCount nodes { id delta balanceAfter orderId } } "
    "houseAccountTransactions(first: 3) { totalCount nodes { id amount kind } } } } }"
)
ENTRIES = 3


async def store_with_ledgers(session, size: int):
    store = await create_store(session)
    key = await create_key(session, store)
    for _ in range(size):
        customer = await create_customer(session, store)
        customer.loyalty_balance, customer.house_account_balance = 10 * ENTRIES, 100 * ENTRIES
        for index in range(ENTRIES):
            session.add_all(
                [
                    LoyaltyTransaction(
                        store_id=store.id,
                        customer_id=customer.id,
                        kind="adjustment",
                        delta=10,
                        reason="gift",
                        balance_after=10 * (index + 1),
                    ),
                    HouseAccountTransaction(
                        store_id=store.id,
                        customer_id=customer.id,
                        kind="charge",
                        amount=100,
                        reason="order",
                        balance_after=100 * (index + 1),
                    ),
                ]
            )
    await session.commit()
    return key


async def test_a_page_of_50_customers_with_ledgers_costs_the_statements_of_a_page_of_1(gql, session, count_statements):
    one = await store_with_ledgers(session, 1)
    many = await store_with_ledgers(session, 50)
    counts = []
    for key, size in ((one, 1), (many, 50)):
        await gql.query("{ viewer { keyId } }", headers=key.headers)
        with count_statements() as counter:
            payload = await gql.query(PAGE, headers=key.headers)
        nodes = payload["data"]["customers"]["nodes"]
        assert len(nodes) == size
        assert all(node["loyaltyTransactions"]["totalCount"] == ENTRIES for node in nodes)
        assert all(len(node["houseAccountTransactions"]["nodes"]) == ENTRIES for node in nodes)
        counts.append(len([s for s in counter.statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))]))

    assert counts[0] == counts[1]


async def test_the_ledgers_run_compiled(app, gql, session):
    key = await store_with_ledgers(session, 3)
    counts = compiled_of(app).counts
    before = dataclasses.replace(counts)

    payload = await gql.query(PAGE, headers=key.headers)

    assert "errors" not in payload, payload
    assert counts.compiled - before.compiled == 1
    assert counts.fell_back == before.fell_back


async def test_a_ledger_is_costed_as_a_connection(gql, session):
    key = await store_with_ledgers(session, 1)
    query = "query($id: ID!) { customer(id: $id) { loyaltyTransactions(first: 10) { totalCount nodes { id } } } }"
    customers = await gql.query("{ customers(first: 1) { nodes { id } } }", headers=key.headers)
    customer_id = customers["data"]["customers"]["nodes"][0]["id"]

    payload = await gql.query(query, {"id": customer_id}, headers=key.headers)

    cost = payload["extensions"]["cost"]
    # The customer 1, the connection 1 + 10 nodes of 1 each + totalCount 1; actually 3 entries were returned.
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (1 + 1 + 10 + 1, 1 + 1 + ENTRIES + 1)

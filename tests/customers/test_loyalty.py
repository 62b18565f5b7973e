"""Loyalty points through GraphQL and /v1: adjustments with a ledger entry each, the balance never negative,
loyalty switched off, earning once on delivery at the store's rate, bad input and other stores' customers changing
nothing, and concurrent adjustments losing nothing."""

from __future__ import annotations

import asyncio

import pytest

from db.models import LoyaltyTransaction
from storegraph.platform.auth.scopes import Scope
from tests.support.factories import create_customer, create_key, create_order, create_product, create_store
from tests.support.ledgers import (
    ADJUST,
    HOUSE_ACCOUNT,
    LOYALTY,
    STATUS,
    UPDATE,
    UPDATE_STORE,
    balances_of,
    ledger_of,
    writes,
)
from tests.support.mutation_helpers import assert_insufficient_scope, result_of, succeeded, user_errors

CONCURRENT_ADJUSTMENTS = 40


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    await session.commit()
    return store, key, customer


async def adjust(gql, key, customer_id: int, delta: int, reason: str = "welcome gift") -> dict:
    variables = {"input": {"customerId": str(customer_id), "delta": delta, "reason": reason}}
    return await gql.query(ADJUST, variables, headers=key.headers)


# --- adjustLoyaltyPoints ---------------------------------------------------------------------------------------


async def test_an_adjustment_moves_the_balance_and_writes_one_entry(gql, sessionmaker, shop):
    _store, key, customer = shop

    result = succeeded(await adjust(gql, key, customer.id, 150), "adjustLoyaltyPoints")

    assert (result["previousBalance"], result["newBalance"]) == (0, 150)
    assert result["customer"] == {"id": str(customer.id), "loyaltyBalance": 150}
    entry = result["transaction"]
    assert (entry["kind"], entry["delta"], entry["reason"], entry["balanceAfter"], entry["orderId"]) == (
        "ADJUSTMENT",
        150,
        "welcome gift",
        150,
        None,
    )
    [row] = await ledger_of(sessionmaker, LoyaltyTransaction, customer.id)
    assert (row.delta, row.balance_after, row.actor_key_id) == (150, 150, key.id)


async def test_a_deduction_within_the_balance_is_taken(gql, shop):
    _store, key, customer = shop
    succeeded(await adjust(gql, key, customer.id, 100), "adjustLoyaltyPoints")

    result = succeeded(await adjust(gql, key, customer.id, -100, "redeemed"), "adjustLoyaltyPoints")

    assert (result["previousBalance"], result["newBalance"]) == (100, 0)


async def test_a_deduction_below_zero_is_insufficient_balance_and_changes_nothing(gql, sessionmaker, shop):
    _store, key, customer = shop
    succeeded(await adjust(gql, key, customer.id, 30), "adjustLoyaltyPoints")

    payload = await adjust(gql, key, customer.id, -31)

    assert user_errors(payload, "adjustLoyaltyPoints") == [("delta", "insufficient_balance")]
    assert result_of(payload, "adjustLoyaltyPoints")["transaction"] is None
    assert await balances_of(sessionmaker, customer.id) == (30, 0)
    assert len(await ledger_of(sessionmaker, LoyaltyTransaction, customer.id)) == 1


async def test_a_customer_with_loyalty_off_is_loyalty_disabled_until_it_is_on_again(gql, sessionmaker, shop):
    _store, key, customer = shop
    off = {"input": {"id": str(customer.id), "isLoyaltyEnabled": False}}
    assert (
        succeeded(await gql.query(UPDATE, off, headers=key.headers), "updateCustomer")["customer"]["isLoyaltyEnabled"]
        is False
    )

    payload = await adjust(gql, key, customer.id, 10)

    assert user_errors(payload, "adjustLoyaltyPoints") == [("customerId", "loyalty_disabled")]
    assert await ledger_of(sessionmaker, LoyaltyTransaction, customer.id) == []
    on = {"input": {"id": str(customer.id), "isLoyaltyEnabled": True}}
    succeeded(await gql.query(UPDATE, on, headers=key.headers), "updateCustomer")
    succeeded(await adjust(gql, key, customer.id, 10), "adjustLoyaltyPoints")


@pytest.mark.parametrize(
    ("delta", "reason", "expected"),
    [
        (0, "nothing", [("delta", "invalid")]),
        (1_000_001, "too many", [("delta", "out_of_range")]),
        (-1_000_001, "too many", [("delta", "out_of_range")]),
        (5, "   ", [("reason", "blank")]),
        (5, "x" * 201, [("reason", "too_long")]),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(gql, sessionmaker, shop, delta, reason, expected):
    _store, key, customer = shop

    payload = await adjust(gql, key, customer.id, delta, reason)

    assert user_errors(payload, "adjustLoyaltyPoints") == expected
    assert await ledger_of(sessionmaker, LoyaltyTransaction, customer.id) == []
    assert await balances_of(sessionmaker, customer.id) == (0, 0)


async def test_another_stores_customer_is_not_found(gql, session, sessionmaker, shop):
    _store, key, _customer = shop
    stranger = await create_customer(session, await create_store(session))
    await session.commit()

    payload = await adjust(gql, key, stranger.id, 10)

    assert user_errors(payload, "adjustLoyaltyPoints") == [("customerId", "not_found")]
    assert await ledger_of(sessionmaker, LoyaltyTransaction, stranger.id) == []


async def test_adjusting_needs_customers_write(gql, session, shop):
    store, _key, customer = shop
    reader = await create_key(session, store, scopes=(Scope.CUSTOMERS_READ,))
    await session.commit()

    assert_insufficient_scope(await adjust(gql, reader, customer.id, 10), "adjustLoyaltyPoints", "customers:write")


async def test_concurrent_adjustments_lose_nothing(gql, sessionmaker, shop):
    _store, key, customer = shop

    payloads = await asyncio.gather(*(adjust(gql, key, customer.id, 10) for _ in range(CONCURRENT_ADJUSTMENTS)))

    for payload in payloads:
        succeeded(payload, "adjustLoyaltyPoints")
    assert await balances_of(sessionmaker, customer.id) == (10 * CONCURRENT_ADJUSTMENTS, 0)
    entries = await ledger_of(sessionmaker, LoyaltyTransaction, customer.id)
    assert sorted(entry.balance_after for entry in entries) == [10 * n for n in range(1, CONCURRENT_ADJUSTMENTS + 1)]


# --- the ledger ------------------------------------------------------------------------------------------------


async def test_the_ledger_lists_newest_first_in_pages(gql, shop):
    _store, key, customer = shop
    for delta in (5, 7, 11):
        succeeded(await adjust(gql, key, customer.id, delta), "adjustLoyaltyPoints")

    first = (await gql.query(LOYALTY, {"id": str(customer.id), "first": 2}, headers=key.headers))["data"]
    connection = first["customer"]["loyaltyTransactions"]
    after = connection["pageInfo"]["endCursor"]
    second = await gql.query(LOYALTY, {"id": str(customer.id), "first": 2, "after": after}, headers=key.headers)

    assert first["customer"]["loyaltyBalance"] == 23
    assert [node["delta"] for node in connection["nodes"]] == [11, 7]
    assert (connection["totalCount"], connection["pageInfo"]["hasNextPage"]) == (3, True)
    rest = second["data"]["customer"]["loyaltyTransactions"]
    assert [node["delta"] for node in rest["nodes"]] == [5]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_a_loyalty_cursor_is_refused_by_the_house_account_list(gql, shop):
    _store, key, customer = shop
    for delta in (5, 7):
        succeeded(await adjust(gql, key, customer.id, delta), "adjustLoyaltyPoints")
    page = await gql.query(LOYALTY, {"id": str(customer.id), "first": 1}, headers=key.headers)
    cursor = page["data"]["customer"]["loyaltyTransactions"]["pageInfo"]["endCursor"]

    payload = await gql.query(HOUSE_ACCOUNT, {"id": str(customer.id), "first": 1, "after": cursor}, headers=key.headers)

    assert payload["errors"][0]["extensions"]["code"] == "invalid_cursor"


# --- earning ---------------------------------------------------------------------------------------------------


async def deliver(gql, key, order_id: int) -> dict:
    return await gql.query(STATUS, {"input": {"id": str(order_id), "status": "DELIVERED"}}, headers=key.headers)


async def set_rate(gql, key, rate: object) -> dict:
    return await gql.query(UPDATE_STORE, {"input": {"settings": {"loyalty_points_per_100": rate}}}, headers=key.headers)


@pytest.fixture
async def shipped(session, shop):
    """A shipped order of 2 × 1025 + 400 delivery = 2450."""
    store, key, customer = shop
    product = await create_product(session, store, price=1025)
    order = await create_order(session, store, customer, [(product, 2)], status="shipped")
    await session.commit()
    return store, key, customer, order


async def test_a_delivered_order_earns_its_points_once_with_its_id(gql, sessionmaker, shipped):
    _store, key, customer, order = shipped
    succeeded(await set_rate(gql, key, 5), "updateStore")

    succeeded(await deliver(gql, key, order.id), "updateOrderStatus")
    again = await deliver(gql, key, order.id)

    assert user_errors(again, "updateOrderStatus") == [("status", "invalid_status_transition")]
    [entry] = await ledger_of(sessionmaker, LoyaltyTransaction, customer.id)
    assert (entry.kind, entry.delta, entry.order_id, entry.balance_after) == ("earning", 24 * 5, order.id, 120)
    assert await balances_of(sessionmaker, customer.id) == (120, 0)


async def test_a_replayed_delivery_earns_nothing_more(client, sessionmaker, shipped):
    _store, key, customer, order = shipped
    await client.patch("/v1/store", json={"settings": {"loyalty_points_per_100": 1}}, headers=writes(key))
    headers = writes(key)

    first = await client.patch(f"/v1/orders/{order.id}", json={"status": "delivered"}, headers=headers)
    replay = await client.patch(f"/v1/orders/{order.id}", json={"status": "delivered"}, headers=headers)

    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.headers["idempotent-replayed"] == "true"
    assert [entry.delta for entry in await ledger_of(sessionmaker, LoyaltyTransaction, customer.id)] == [24]


async def test_without_a_rate_a_delivery_earns_nothing(gql, sessionmaker, shipped):
    _store, key, customer, order = shipped

    succeeded(await deliver(gql, key, order.id), "updateOrderStatus")

    assert await ledger_of(sessionmaker, LoyaltyTransaction, customer.id) == []


async def test_a_customer_with_loyalty_off_earns_nothing(gql, sessionmaker, shipped):
    _store, key, customer, order = shipped
    succeeded(await set_rate(gql, key, 5), "updateStore")
    off = {"input": {"id": str(customer.id), "isLoyaltyEnabled": False}}
    succeeded(await gql.query(UPDATE, off, headers=key.headers), "updateCustomer")

    succeeded(await deliver(gql, key, order.id), "updateOrderStatus")

    assert await ledger_of(sessionmaker, LoyaltyTransaction, customer.id) == []


@pytest.mark.parametrize("rate", [-1, 1001, "5", 2.5, True])
async def test_a_bad_rate_is_refused(gql, shop, rate):
    _store, key, _customer = shop

    payload = await set_rate(gql, key, rate)

    assert user_errors(payload, "updateStore")[0][0] == "settings.loyalty_points_per_100"


# --- /v1 -------------------------------------------------------------------------------------------------------


async def test_rest_adjusts_and_lists_with_the_balance(client, shop):
    _store, key, customer = shop
    body = {"delta": 40, "reason": "birthday"}

    adjusted = await client.post(f"/v1/customers/{customer.id}/loyalty/adjust", json=body, headers=writes(key))
    listed = await client.get(f"/v1/customers/{customer.id}/loyalty?limit=1", headers=key.headers)

    assert adjusted.status_code == 200, adjusted.text
    data = adjusted.json()["data"]
    assert (data["previous_balance"], data["new_balance"]) == (0, 40)
    assert data["transaction"]["kind"] == "adjustment"
    assert data["customer"]["loyalty_balance"] == 40
    page = listed.json()["data"]
    assert list(page) == ["balance", "items", "next_cursor", "has_more"]
    assert (page["balance"], page["has_more"], page["next_cursor"]) == (40, False, None)
    assert page["items"][0]["delta"] == 40
    assert set(page["items"][0]) == {"id", "kind", "delta", "reason", "balance_after", "order_id", "created_at"}


async def test_rest_refusals_are_422_and_change_nothing(client, sessionmaker, shop):
    _store, key, customer = shop
    path = f"/v1/customers/{customer.id}/loyalty/adjust"

    below = await client.post(path, json={"delta": -1, "reason": "x"}, headers=writes(key))
    zero = await client.post(path, json={"delta": 0, "reason": "x"}, headers=writes(key))
    blank = await client.post(path, json={"delta": 1, "reason": ""}, headers=writes(key))

    assert (below.status_code, below.json()["error"]["code"]) == (422, "insufficient_balance")
    assert (zero.status_code, zero.json()["error"]["code"]) == (422, "validation_error")
    assert (blank.status_code, blank.json()["error"]["details"][0]["field"]) == (422, "reason")
    assert await ledger_of(sessionmaker, LoyaltyTransaction, customer.id) == []


async def test_rest_another_stores_customer_is_404(client, session, shop):
    _store, key, _customer = shop
    stranger = await create_customer(session, await create_store(session))
    await session.commit()

    listed = await client.get(f"/v1/customers/{stranger.id}/loyalty", headers=key.headers)
    adjusted = await client.post(
        f"/v1/customers/{stranger.id}/loyalty/adjust", json={"delta": 1, "reason": "x"}, headers=writes(key)
    )

    assert (listed.status_code, adjusted.status_code) == (404, 404)
    assert adjusted.json()["error"]["code"] == "not_found"

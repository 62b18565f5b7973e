"""House accounts through GraphQL and /v1: enabled and limited by updateCustomer, orders charged atomically with
the order (refused orders writing nothing), cancellations credited back once, payments within the balance, other
stores' customers not found, and the limit holding under concurrent orders."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from db.models import Customer, HouseAccountTransaction, Order, Product
from tests.support.factories import create_customer, create_key, create_product, create_store
from tests.support.ledgers import (
    HOUSE_ACCOUNT,
    PAY,
    PLACE,
    STATUS,
    UPDATE,
    balances_of,
    ledger_of,
    order_input,
    writes,
)
from tests.support.mutation_helpers import result_of, snapshot, succeeded, user_errors

PRICE = 1000
CONCURRENT_ORDERS = 20
ORDERS_WITHIN_LIMIT = 10


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    product = await create_product(session, store, price=PRICE)
    await session.commit()
    return store, key, customer, product


async def enable(gql, key, customer_id: int, limit: int | None) -> dict:
    variables = {"input": {"id": str(customer_id), "isHouseAccountEnabled": True, "houseAccountLimit": limit}}
    return succeeded(await gql.query(UPDATE, variables, headers=key.headers), "updateCustomer")["customer"]


async def place(gql, key, product_id: int, phone: str, *, quantity: int = 1) -> dict:
    return await gql.query(PLACE, order_input(product_id, phone, quantity=quantity), headers=key.headers)


async def pay(gql, key, customer_id: int, amount: int, reason: str = "cash at the shop") -> dict:
    variables = {"input": {"customerId": str(customer_id), "amount": amount, "reason": reason}}
    return await gql.query(PAY, variables, headers=key.headers)


async def order_count(sessionmaker, store_id: int) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Order).where(Order.store_id == store_id)))


# --- enabling --------------------------------------------------------------------------------------------------


async def test_a_new_customer_has_no_house_account(gql, shop):
    _store, key, customer, _product = shop

    payload = await gql.query(HOUSE_ACCOUNT, {"id": str(customer.id)}, headers=key.headers)

    found = payload["data"]["customer"]
    assert (found["isHouseAccountEnabled"], found["houseAccountLimit"], found["houseAccountBalance"]) == (
        False,
        None,
        0,
    )


async def test_update_customer_enables_the_account_and_sets_the_limit(gql, shop):
    _store, key, customer, _product = shop

    updated = await enable(gql, key, customer.id, 5000)

    assert (updated["isHouseAccountEnabled"], updated["houseAccountLimit"]) == (True, 5000)


async def test_a_negative_limit_is_refused_and_changes_nothing(gql, sessionmaker, shop):
    _store, key, customer, _product = shop
    before = await snapshot(sessionmaker, Customer, customer.id)
    variables = {"input": {"id": str(customer.id), "isHouseAccountEnabled": True, "houseAccountLimit": -1}}

    payload = await gql.query(UPDATE, variables, headers=key.headers)

    assert payload["errors"][0]["extensions"]["code"] == "validation_error"
    assert await snapshot(sessionmaker, Customer, customer.id) == before


# --- charging orders -------------------------------------------------------------------------------------------


async def test_an_order_on_account_charges_its_total_with_the_order(gql, sessionmaker, shop):
    _store, key, customer, product = shop
    await enable(gql, key, customer.id, 10_000)

    result = succeeded(await place(gql, key, product.id, customer.phone, quantity=3), "placeOrder")

    order = result["order"]
    assert (order["paymentMethod"], order["total"]) == ("HOUSE_ACCOUNT", 3 * PRICE)
    assert result["customer"]["houseAccountBalance"] == 3 * PRICE
    [entry] = await ledger_of(sessionmaker, HouseAccountTransaction, customer.id)
    assert (entry.kind, entry.amount, entry.balance_after, entry.order_id) == (
        "charge",
        3 * PRICE,
        3 * PRICE,
        int(order["id"]),
    )


async def test_without_a_limit_any_order_is_charged(gql, sessionmaker, shop):
    _store, key, customer, product = shop
    await enable(gql, key, customer.id, None)

    succeeded(await place(gql, key, product.id, customer.phone, quantity=40), "placeOrder")

    assert await balances_of(sessionmaker, customer.id) == (0, 40 * PRICE)


async def test_a_customer_without_an_account_is_refused_and_nothing_is_written(gql, sessionmaker, shop):
    store, key, customer, product = shop
    before = await snapshot(sessionmaker, Customer, customer.id)
    stock = (await snapshot(sessionmaker, Product, product.id))["stock_quantity"]

    payload = await place(gql, key, product.id, customer.phone)

    assert user_errors(payload, "placeOrder") == [("paymentMethod", "house_account_disabled")]
    assert await order_count(sessionmaker, store.id) == 0
    assert await snapshot(sessionmaker, Customer, customer.id) == before
    assert (await snapshot(sessionmaker, Product, product.id))["stock_quantity"] == stock


async def test_a_new_phone_on_account_is_refused_and_creates_no_customer(gql, sessionmaker, shop):
    store, key, _customer, product = shop

    payload = await place(gql, key, product.id, "0699 11 22 33")

    assert user_errors(payload, "placeOrder") == [("paymentMethod", "house_account_disabled")]
    async with sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(Customer).where(Customer.store_id == store.id))
    assert count == 1


async def test_an_order_over_the_limit_is_refused_and_nothing_is_written(gql, sessionmaker, shop):
    store, key, customer, product = shop
    await enable(gql, key, customer.id, 2500)
    succeeded(await place(gql, key, product.id, customer.phone, quantity=2), "placeOrder")
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await place(gql, key, product.id, customer.phone)

    assert user_errors(payload, "placeOrder") == [("paymentMethod", "house_account_limit_exceeded")]
    assert result_of(payload, "placeOrder")["order"] is None
    assert await order_count(sessionmaker, store.id) == 1
    assert await snapshot(sessionmaker, Customer, customer.id) == before
    assert len(await ledger_of(sessionmaker, HouseAccountTransaction, customer.id)) == 1


async def test_cash_orders_leave_the_account_alone(gql, sessionmaker, shop):
    _store, key, customer, product = shop
    await enable(gql, key, customer.id, 100)

    variables = order_input(product.id, customer.phone, method="COD")
    succeeded(await gql.query(PLACE, variables, headers=key.headers), "placeOrder")

    assert await ledger_of(sessionmaker, HouseAccountTransaction, customer.id) == []


async def test_concurrent_orders_stop_exactly_at_the_limit(gql, sessionmaker, shop):
    _store, key, customer, product = shop
    await enable(gql, key, customer.id, ORDERS_WITHIN_LIMIT * PRICE)

    payloads = await asyncio.gather(*(place(gql, key, product.id, customer.phone) for _ in range(CONCURRENT_ORDERS)))

    codes = [tuple(code for _field, code in user_errors(payload, "placeOrder")) for payload in payloads]
    assert codes.count(()) == ORDERS_WITHIN_LIMIT
    assert codes.count(("house_account_limit_exceeded",)) == CONCURRENT_ORDERS - ORDERS_WITHIN_LIMIT
    assert await balances_of(sessionmaker, customer.id) == (0, ORDERS_WITHIN_LIMIT * PRICE)
    assert len(await ledger_of(sessionmaker, HouseAccountTransaction, customer.id)) == ORDERS_WITHIN_LIMIT


# --- cancelling ------------------------------------------------------------------------------------------------


async def cancel(gql, key, order_id: str) -> dict:
    return await gql.query(STATUS, {"input": {"id": order_id, "status": "CANCELLED"}}, headers=key.headers)


async def test_cancelling_credits_the_order_back_once(gql, sessionmaker, shop):
    _store, key, customer, product = shop
    await enable(gql, key, customer.id, 10_000)
    order = succeeded(await place(gql, key, product.id, customer.phone, quantity=2), "placeOrder")["order"]

    succeeded(await cancel(gql, key, order["id"]), "updateOrderStatus")
    again = await cancel(gql, key, order["id"])

    assert user_errors(again, "updateOrderStatus") == [("status", "invalid_status_transition")]
    entries = await ledger_of(sessionmaker, HouseAccountTransaction, customer.id)
    assert [(entry.kind, entry.amount, entry.balance_after) for entry in entries] == [
        ("charge", 2 * PRICE, 2 * PRICE),
        ("credit", -2 * PRICE, 0),
    ]


async def test_cancelling_a_paid_order_credits_only_what_is_still_owed(gql, sessionmaker, shop):
    _store, key, customer, product = shop
    await enable(gql, key, customer.id, 10_000)
    order = succeeded(await place(gql, key, product.id, customer.phone, quantity=2), "placeOrder")["order"]
    succeeded(await pay(gql, key, customer.id, 1500), "recordHouseAccountPayment")

    succeeded(await cancel(gql, key, order["id"]), "updateOrderStatus")

    assert await balances_of(sessionmaker, customer.id) == (0, 0)
    kinds = [
        (entry.kind, entry.amount) for entry in await ledger_of(sessionmaker, HouseAccountTransaction, customer.id)
    ]
    assert kinds == [("charge", 2000), ("payment", -1500), ("credit", -500)]


# --- payments --------------------------------------------------------------------------------------------------


@pytest.fixture
async def owing(gql, shop):
    """The customer owes 3 × PRICE."""
    _store, key, customer, product = shop
    await enable(gql, key, customer.id, 10_000)
    succeeded(await place(gql, key, product.id, customer.phone, quantity=3), "placeOrder")
    return shop


async def test_a_payment_takes_off_what_is_owed(gql, sessionmaker, owing):
    _store, key, customer, _product = owing

    result = succeeded(await pay(gql, key, customer.id, 1200), "recordHouseAccountPayment")

    assert (result["previousBalance"], result["newBalance"]) == (3000, 1800)
    assert result["customer"]["houseAccountBalance"] == 1800
    entry = result["transaction"]
    assert (entry["kind"], entry["amount"], entry["balanceAfter"], entry["reason"]) == (
        "PAYMENT",
        -1200,
        1800,
        "cash at the shop",
    )


@pytest.mark.parametrize(
    ("amount", "reason", "expected"),
    [
        (3001, "too much", [("amount", "out_of_range")]),
        (0, "nothing", [("amount", "out_of_range")]),
        (100, "", [("reason", "blank")]),
    ],
)
async def test_a_bad_payment_is_refused_and_changes_nothing(gql, sessionmaker, owing, amount, reason, expected):
    _store, key, customer, _product = owing

    payload = await pay(gql, key, customer.id, amount, reason)

    assert user_errors(payload, "recordHouseAccountPayment") == expected
    assert await balances_of(sessionmaker, customer.id) == (0, 3000)
    assert len(await ledger_of(sessionmaker, HouseAccountTransaction, customer.id)) == 1


async def test_a_payment_for_another_stores_customer_is_not_found(gql, session, owing):
    _store, key, _customer, _product = owing
    stranger = await create_customer(session, await create_store(session))
    await session.commit()

    payload = await pay(gql, key, stranger.id, 10)

    assert user_errors(payload, "recordHouseAccountPayment") == [("customerId", "not_found")]


async def test_the_ledger_lists_newest_first(gql, owing):
    _store, key, customer, _product = owing
    succeeded(await pay(gql, key, customer.id, 1000), "recordHouseAccountPayment")

    payload = await gql.query(HOUSE_ACCOUNT, {"id": str(customer.id), "first": 10}, headers=key.headers)

    connection = payload["data"]["customer"]["houseAccountTransactions"]
    assert [(node["kind"], node["amount"]) for node in connection["nodes"]] == [("PAYMENT", -1000), ("CHARGE", 3000)]
    assert connection["totalCount"] == 2


# --- /v1 -------------------------------------------------------------------------------------------------------


async def test_rest_enables_pays_and_lists_the_account(client, gql, owing):
    _store, key, customer, _product = owing
    limit = await client.patch(f"/v1/customers/{customer.id}", json={"house_account_limit": 8000}, headers=writes(key))

    paid = await client.post(
        f"/v1/customers/{customer.id}/house-account/payments",
        json={"amount": 500, "reason": "transfer"},
        headers=writes(key),
    )
    listed = await client.get(f"/v1/customers/{customer.id}/house-account", headers=key.headers)

    assert limit.status_code == 200, limit.text
    assert (limit.json()["data"]["house_account_limit"], limit.json()["data"]["is_house_account_enabled"]) == (
        8000,
        True,
    )
    assert paid.status_code == 201, paid.text
    assert (paid.json()["data"]["previous_balance"], paid.json()["data"]["new_balance"]) == (3000, 2500)
    page = listed.json()["data"]
    assert list(page) == ["balance", "limit", "enabled", "items", "next_cursor", "has_more"]
    assert (page["balance"], page["limit"], page["enabled"]) == (2500, 8000, True)
    assert [(item["kind"], item["amount"]) for item in page["items"]] == [("payment", -500), ("charge", 3000)]


async def test_rest_refusals_change_nothing(client, sessionmaker, session, owing):
    _store, key, customer, _product = owing
    stranger = await create_customer(session, await create_store(session))
    await session.commit()
    path = f"/v1/customers/{customer.id}/house-account/payments"

    over = await client.post(path, json={"amount": 3001, "reason": "x"}, headers=writes(key))
    zero = await client.post(path, json={"amount": 0, "reason": "x"}, headers=writes(key))
    foreign = await client.post(
        f"/v1/customers/{stranger.id}/house-account/payments", json={"amount": 1, "reason": "x"}, headers=writes(key)
    )
    foreign_list = await client.get(f"/v1/customers/{stranger.id}/house-account", headers=key.headers)
    bad_limit = await client.patch(
        f"/v1/customers/{customer.id}", json={"house_account_limit": -5}, headers=writes(key)
    )

    assert (over.status_code, over.json()["error"]["details"][0]["field"]) == (422, "amount")
    assert (zero.status_code, zero.json()["error"]["code"]) == (422, "validation_error")
    assert (foreign.status_code, foreign_list.status_code) == (404, 404)
    assert bad_limit.status_code == 422
    assert await balances_of(sessionmaker, customer.id) == (0, 3000)

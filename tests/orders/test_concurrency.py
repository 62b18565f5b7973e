"""Acceptance: checkout and status changes stay exact under concurrent requests (contract §4).

Each request is its own HTTP call with its own session and database connection. On PostgreSQL they really run
at once; SQLite queues writers (BEGIN IMMEDIATE with a busy timeout) and must still be correct.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from db.models import Customer, Order, OrderStatusChange, OutboxEvent, Product
from tests.conftest import services_of
from tests.support.factories import create_key, create_product, create_store
from tests.support.mutation_helpers import snapshot

PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id orderNumber total customerId }
    userErrors { field code }
  }
}
"""
UPDATE = """
mutation($input: UpdateOrderStatusInput!) {
  updateOrderStatus(input: $input) { order { id status } userErrors { field code } }
}
"""


def order_input(product: Product, quantity: int, phone: str) -> dict[str, Any]:
    return {
        "input": {
            "lines": [{"productId": str(product.id), "quantity": quantity}],
            "customer": {"firstName": "Walid", "phone": phone, "wilayaId": 25},
        }
    }


async def all_at_once(gql, key, document: str, variables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    payloads = await asyncio.gather(*(gql.query(document, v, headers=key.headers) for v in variables))
    for payload in payloads:
        assert payload["_status"] == 200, payload
        assert "errors" not in payload, payload
    return payloads


async def scalar(sessionmaker, stmt: Any) -> Any:
    async with sessionmaker() as session:
        return await session.scalar(stmt)


async def event_names(sessionmaker, store_id: int) -> list[str]:
    async with sessionmaker() as session:
        stmt = select(OutboxEvent.event).where(OutboxEvent.store_id == store_id).order_by(OutboxEvent.id)
        return list((await session.execute(stmt)).scalars())


@pytest.fixture
def peak_connections(app):
    """The most database connections the app had checked out at once during the test."""
    pool_events = services_of(app).engine.sync_engine
    state = {"now": 0, "peak": 0}

    def checkout(*_args: Any) -> None:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])

    def checkin(*_args: Any) -> None:
        state["now"] -= 1

    event.listen(pool_events, "checkout", checkout)
    event.listen(pool_events, "checkin", checkin)
    yield lambda: state["peak"]
    event.remove(pool_events, "checkout", checkout)
    event.remove(pool_events, "checkin", checkin)


async def require_free_connections(app, needed: int) -> None:
    """The PostgreSQL server is shared (other test runs, benchmarks): fail clearly, not with an internal_error
    halfway through, when it cannot accept ``needed`` more connections right now."""
    engine = services_of(app).engine
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        free = (
            await connection.execute(
                text(
                    "SELECT current_setting('max_connections')::int"
                    " - current_setting('superuser_reserved_connections')::int - count(*) FROM pg_stat_activity"
                )
            )
        ).scalar_one()
    reusable = engine.pool.checkedin()  # type: ignore[attr-defined]
    if free + reusable < needed:
        pytest.fail(f"PostgreSQL has {free} free connections (+{reusable} idle in the pool); this test needs {needed}")


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    store.settings = {"delivery_fees": {"home": 450}}
    key = await create_key(session, store)
    await session.commit()
    return store, key


async def test_fifty_concurrent_first_orders_of_one_phone_make_one_exact_customer(
    app, gql, session, sessionmaker, shop, peak_connections
):
    store, key = shop
    product = await create_product(session, store, price=1700)
    product.track_stock = False
    await session.commit()
    # Three spellings of one new number, and quantities that make every order's total different.
    phones = ["0555 44 33 22", "0555443322", "+213555443322"]
    variables = [order_input(product, 1 + n % 7, phones[n % 3]) for n in range(50)]
    await require_free_connections(app, 50)

    payloads = await all_at_once(gql, key, PLACE, variables)

    # The requests really overlapped: each held its own connection while others did too.
    assert peak_connections() > 1
    orders = [payload["data"]["placeOrder"]["order"] for payload in payloads]
    assert all(payload["data"]["placeOrder"]["userErrors"] == [] for payload in payloads)
    expected_spent = sum(1700 * (1 + n % 7) + 450 for n in range(50))
    assert sum(order["total"] for order in orders) == expected_spent
    assert len({order["orderNumber"] for order in orders}) == 50
    assert len({order["customerId"] for order in orders}) == 1
    async with sessionmaker() as check:
        customers = (await check.execute(select(Customer).where(Customer.store_id == store.id))).scalars().all()
        [customer] = customers
        assert customer.phone == "0555443322"
        assert (customer.total_orders, customer.total_spent) == (50, expected_spent)
        latest = await check.scalar(select(func.max(Order.created_at)).where(Order.customer_id == customer.id))
        assert customer.last_order_at == latest
        numbers = (await check.execute(select(Order.order_number).where(Order.store_id == store.id))).scalars().all()
    assert len(numbers) == len(set(numbers)) == 50
    assert (await event_names(sessionmaker, store.id)).count("order.created") == 50


async def test_twenty_concurrent_orders_for_ten_units_sell_exactly_ten(gql, session, sessionmaker, shop):
    store, key = shop
    product = await create_product(session, store, price=900)
    product.stock_quantity, product.low_stock_alert = 10, 5
    await session.commit()
    variables = [order_input(product, 1, f"06611000{n:02d}") for n in range(20)]

    payloads = await all_at_once(gql, key, PLACE, variables)

    results = [payload["data"]["placeOrder"] for payload in payloads]
    placed = [result for result in results if result["order"] is not None]
    refused = [result for result in results if result["order"] is None]
    assert len(placed) == 10
    assert [result["userErrors"] for result in refused] == [
        [{"field": "lines[0].quantity", "code": "insufficient_stock"}]
    ] * 10
    assert all(result["userErrors"] == [] for result in placed)
    assert (await snapshot(sessionmaker, Product, product.id))["stock_quantity"] == 0
    names = await event_names(sessionmaker, store.id)
    assert names.count("product.stock_low") == 1
    assert names.count("order.created") == 10
    order_count = select(func.count()).select_from(Order).where(Order.store_id == store.id)
    assert await scalar(sessionmaker, order_count) == 10
    # A refused order leaves no customer behind.
    customer_count = select(func.count()).select_from(Customer).where(Customer.store_id == store.id)
    assert await scalar(sessionmaker, customer_count) == 10


async def test_twenty_concurrent_confirmations_of_one_order_confirm_it_once(gql, session, sessionmaker, shop):
    store, key = shop
    product = await create_product(session, store)
    await session.commit()
    [placed] = await all_at_once(gql, key, PLACE, [order_input(product, 1, "0770 99 88 77")])
    order_id = placed["data"]["placeOrder"]["order"]["id"]
    variables = [{"input": {"id": order_id, "status": "CONFIRMED", "note": f"agent {n}"}} for n in range(20)]

    payloads = await all_at_once(gql, key, UPDATE, variables)

    results = [payload["data"]["updateOrderStatus"] for payload in payloads]
    assert sum(result["userErrors"] == [] for result in results) == 1
    assert (
        sorted(str(result["userErrors"]) for result in results if result["userErrors"])
        == [str([{"field": "status", "code": "invalid_status_transition"}])] * 19
    )
    async with sessionmaker() as check:
        steps = (
            await check.execute(
                select(OrderStatusChange.from_status, OrderStatusChange.to_status)
                .where(OrderStatusChange.order_id == int(order_id))
                .order_by(OrderStatusChange.id)
            )
        ).all()
    assert [tuple(step) for step in steps] == [(None, "pending"), ("pending", "confirmed")]
    names = await event_names(sessionmaker, store.id)
    assert names.count("order.confirmed") == 1
    assert (await snapshot(sessionmaker, Order, int(order_id)))["status"] == "confirmed"


def two_line_input(first: Product, second: Product, phone: str) -> dict[str, Any]:
    lines = [{"productId": str(product.id), "quantity": 1} for product in (first, second)]
    return {"input": {"lines": lines, "customer": {"firstName": "Walid", "phone": phone, "wilayaId": 25}}}


async def test_concurrent_orders_listing_two_products_in_opposite_orders_all_succeed(gql, session, sessionmaker, shop):
    # Each checkout locks its products' rows; taken in line order, A-then-B against B-then-A deadlocks.
    store, key = shop
    first = await create_product(session, store, price=100)
    second = await create_product(session, store, price=200)
    first.stock_quantity = second.stock_quantity = 1000
    await session.commit()
    variables = [
        two_line_input(*((first, second) if n % 2 else (second, first)), phone=f"0555{n:06d}") for n in range(30)
    ]

    payloads = await all_at_once(gql, key, PLACE, variables)

    assert all(payload["data"]["placeOrder"]["userErrors"] == [] for payload in payloads)
    stocks = await scalar(sessionmaker, select(func.sum(Product.stock_quantity)).where(Product.store_id == store.id))
    assert stocks == 2000 - 60


async def test_cancelling_while_the_same_customer_orders_keeps_last_order_at_on_the_newest_order(
    gql, session, sessionmaker, shop
):
    store, key = shop
    product = await create_product(session, store, price=500)
    product.track_stock = False
    await session.commit()
    phone = "0555123123"
    for _round in range(8):
        placed = await all_at_once(gql, key, PLACE, [order_input(product, 1, phone)])
        order_id = placed[0]["data"]["placeOrder"]["order"]["id"]
        cancel = gql.query(UPDATE, {"input": {"id": order_id, "status": "CANCELLED"}}, headers=key.headers)
        new_order = gql.query(PLACE, order_input(product, 1, phone), headers=key.headers)
        results = await asyncio.gather(cancel, new_order)
        assert all(result["_status"] == 200 and "errors" not in result for result in results), results

    async with sessionmaker() as check:
        customer = (await check.execute(select(Customer).where(Customer.store_id == store.id))).scalar_one()
        counted = select(Order).where(Order.customer_id == customer.id, Order.status != "cancelled").subquery()
        latest, count, spent = (
            await check.execute(select(func.max(counted.c.created_at), func.count(), func.sum(counted.c.total)))
        ).one()
    assert (customer.total_orders, customer.total_spent) == (count, spent)
    assert customer.last_order_at == latest


async def test_a_repeat_order_without_a_last_name_keeps_the_customers_last_name(gql, session, sessionmaker, shop):
    store, key = shop
    product = await create_product(session, store, price=500)
    product.track_stock = False
    await session.commit()
    named = order_input(product, 1, "0555777666")
    named["input"]["customer"]["lastName"] = "Benali"
    await all_at_once(gql, key, PLACE, [named])

    await all_at_once(gql, key, PLACE, [order_input(product, 1, "0555777666")])

    last_name = await scalar(sessionmaker, select(Customer.last_name).where(Customer.store_id == store.id))
    assert last_name == "Benali"

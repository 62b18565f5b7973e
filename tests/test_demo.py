"""The demo store: deterministic, every status present, and consistent by the same rules checkout keeps."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from db.models import Customer, Order, OrderStatusChange
from domain.api_keys import parse_platform_key
from domain.statuses import OrderStatus
from storegraph.demo import DemoStore, build_demo

CUSTOMERS, ORDERS = 60, 300


async def _build(sessionmaker) -> DemoStore:
    return await build_demo(sessionmaker, customers=CUSTOMERS, orders=ORDERS, products=12, progress=False)


@pytest.fixture
async def demo(sessionmaker) -> DemoStore:
    return await _build(sessionmaker)


async def test_customer_totals_equal_their_counted_orders(demo, session):
    counted = (
        select(Order.customer_id, func.count().label("n"), func.sum(Order.total).label("spent"))
        .where(Order.store_id == demo.store_id, Order.status != OrderStatus.CANCELLED.value)
        .group_by(Order.customer_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Customer.total_orders, Customer.total_spent, counted.c.n, counted.c.spent)
            .outerjoin(counted, counted.c.customer_id == Customer.id)
            .where(Customer.store_id == demo.store_id)
        )
    ).all()

    assert len(rows) == CUSTOMERS
    assert all(row.total_orders == (row.n or 0) and row.total_spent == (row.spent or 0) for row in rows)


async def test_orders_exist_in_every_status(demo, session):
    statuses = set((await session.execute(select(Order.status).where(Order.store_id == demo.store_id))).scalars())

    assert statuses == {status.value for status in OrderStatus}


async def test_order_numbers_follow_the_format_and_are_unique(demo, session):
    numbers = list((await session.execute(select(Order.order_number).where(Order.store_id == demo.store_id))).scalars())

    assert len(numbers) == ORDERS
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(rf"ORD-{demo.store_id}-\d{{8}}-[0-9A-F]{{4}}", number) for number in numbers)


async def test_every_order_history_ends_at_its_status(demo, session):
    orders = (await session.execute(select(Order.id, Order.status).where(Order.store_id == demo.store_id))).all()
    last_steps = dict(
        (
            await session.execute(
                select(OrderStatusChange.order_id, OrderStatusChange.to_status)
                .where(OrderStatusChange.field == "status", OrderStatusChange.order_id.in_([o.id for o in orders]))
                .order_by(OrderStatusChange.created_at, OrderStatusChange.id)
            )
        ).all()
    )

    assert all(last_steps[order.id] == order.status for order in orders)


async def test_phones_are_normalised_dz_mobiles(demo, session):
    phones = list((await session.execute(select(Customer.phone).where(Customer.store_id == demo.store_id))).scalars())

    assert all(re.fullmatch(r"0[567]\d{8}", phone) for phone in phones)


async def test_the_same_seed_gives_the_same_data(sessionmaker, session):
    first = await _build(sessionmaker)
    second = await _build(sessionmaker)

    async def people(store_id: int) -> list[tuple[str, str, int]]:
        stmt = (
            select(Customer.first_name, Customer.phone, Customer.total_spent)
            .where(Customer.store_id == store_id)
            .order_by(Customer.id)
        )
        return [tuple(row) for row in (await session.execute(stmt)).all()]

    assert await people(first.store_id) == await people(second.store_id)


async def test_the_printed_key_has_every_scope_and_works(demo, gql):
    parsed = parse_platform_key(demo.key)
    payload = await gql.query(
        "{ viewer { storeId scopes } customers(first: 1) { totalCount } }",
        headers={"Authorization": f"Bearer {demo.key}"},
    )

    assert parsed is not None
    assert payload["data"]["viewer"]["storeId"] == str(demo.store_id)
    assert len(payload["data"]["viewer"]["scopes"]) == 15
    assert payload["data"]["customers"]["totalCount"] == CUSTOMERS

"""The demo store, on SQLite and PostgreSQL: every status present, consistent by the rules checkout and the status
machine keep, and the same data for the same seed.

Self-contained: each backend gets its own fresh, migrated database here, so these tests share nothing with the
app fixtures of conftest.py.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.migrate import upgrade_to_head
from db.models import (
    ApiKey,
    Customer,
    CustomerAddress,
    CustomerTag,
    DeliveryZone,
    HouseAccountTransaction,
    LoyaltyTransaction,
    Order,
    OrderItem,
    OrderStatusChange,
    Product,
    Review,
    ZoneWilaya,
)
from db.session import create_engine, create_sessionmaker
from storegraph.demo import DemoStore, build_demo
from storegraph.platform.auth.key_format import KeyEnv, KeyType, parse_platform_key
from storegraph.platform.auth.scopes import ALL_SCOPES
from storegraph.platform.phones import normalize_phone
from storegraph.rules.orders.status import can_move
from storegraph.rules.statuses import OrderStatus

POSTGRES_ADMIN_URL = os.environ.get("STOREGRAPH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SIZE = {"customers": 60, "orders": 250, "products": 15}


@dataclass(frozen=True)
class Demo:
    sessionmaker: async_sessionmaker[AsyncSession]
    store: DemoStore

    async def rows(self, stmt: Select[Any]) -> list[Any]:
        async with self.sessionmaker() as session:
            return list((await session.execute(stmt)).all())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def database(request, tmp_path_factory) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh, migrated database of the backend, dropped (PostgreSQL) after the module."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
        async with _migrated(url) as sessionmaker:
            yield sessionmaker
        return
    name = f"storegraph_demo_{secrets.token_hex(6)}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        base = POSTGRES_ADMIN_URL.rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        async with _migrated(f"{base}/{name}") as sessionmaker:
            yield sessionmaker
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def _migrated(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(url, pool_size=2)
    try:
        await upgrade_to_head(engine)
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def demo(database) -> Demo:
    return Demo(database, await build_demo(database, **SIZE, progress=False, reset=False))


async def test_customer_totals_equal_the_aggregates_of_their_non_cancelled_orders(demo):
    counted = (
        select(
            Order.customer_id,
            func.count().label("orders"),
            func.sum(Order.total).label("spent"),
            func.max(Order.created_at).label("last"),
        )
        .where(Order.store_id == demo.store.store_id, Order.status != OrderStatus.CANCELLED.value)
        .group_by(Order.customer_id)
        .subquery()
    )
    rows = await demo.rows(
        select(Customer.total_orders, Customer.total_spent, Customer.last_order_at, counted.c.orders, counted.c.spent)
        .add_columns(counted.c.last)
        .outerjoin(counted, counted.c.customer_id == Customer.id)
        .where(Customer.store_id == demo.store.store_id)
    )

    assert len(rows) == SIZE["customers"]
    assert [(row.total_orders, row.total_spent, row.last_order_at) for row in rows] == [
        (row.orders or 0, row.spent or 0, row.last) for row in rows
    ]
    assert any(row.orders for row in rows)


async def test_orders_exist_in_every_status(demo):
    statuses = await demo.rows(select(Order.status).where(Order.store_id == demo.store.store_id).distinct())

    assert {row.status for row in statuses} == {status.value for status in OrderStatus}


async def test_only_delivered_orders_are_paid(demo):
    pairs = await demo.rows(
        select(Order.status, Order.payment_status).where(Order.store_id == demo.store.store_id).distinct()
    )

    assert all((row.payment_status == "paid") == (row.status == "delivered") for row in pairs)


async def test_order_numbers_follow_the_format_and_are_unique(demo):
    rows = await demo.rows(select(Order.order_number).where(Order.store_id == demo.store.store_id))
    numbers = [row.order_number for row in rows]

    assert len(numbers) == SIZE["orders"]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(rf"ORD-{demo.store.store_id}-\d{{8}}-[0-9A-F]{{4}}", number) for number in numbers)


async def test_order_amounts_add_up_from_their_lines(demo):
    lines = (
        select(OrderItem.order_id, func.sum(OrderItem.total).label("lines_total"), func.count().label("lines"))
        .group_by(OrderItem.order_id)
        .subquery()
    )
    rows = await demo.rows(
        select(Order.subtotal, Order.delivery_fee, Order.total, lines.c.lines_total, lines.c.lines)
        .join(lines, lines.c.order_id == Order.id)
        .where(Order.store_id == demo.store.store_id)
    )
    items = await demo.rows(
        select(OrderItem.unit_price, OrderItem.quantity, OrderItem.total, Product.price)
        .join(Order, Order.id == OrderItem.order_id)
        .join(Product, Product.id == OrderItem.product_id)
        .where(Order.store_id == demo.store.store_id)
    )

    assert len(rows) == SIZE["orders"]
    assert all(row.subtotal == row.lines_total and row.total == row.subtotal + row.delivery_fee for row in rows)
    assert all(1 <= row.lines <= 4 for row in rows)
    assert all(item.unit_price == item.price and item.total == item.unit_price * item.quantity for item in items)


async def test_status_histories_walk_the_state_machine_to_the_order_status(demo):
    orders = dict(await demo.rows(select(Order.id, Order.status).where(Order.store_id == demo.store.store_id)))
    steps = await demo.rows(
        select(OrderStatusChange.order_id, OrderStatusChange.from_status, OrderStatusChange.to_status)
        .add_columns(OrderStatusChange.created_at)
        .join(Order, Order.id == OrderStatusChange.order_id)
        .where(Order.store_id == demo.store.store_id, OrderStatusChange.field == "status")
        .order_by(OrderStatusChange.order_id, OrderStatusChange.created_at, OrderStatusChange.id)
    )
    histories: dict[int, list[Any]] = defaultdict(list)
    for step in steps:
        histories[step.order_id].append(step)

    assert histories.keys() == orders.keys()
    for order_id, history in histories.items():
        assert (history[0].from_status, history[0].to_status) == (None, "pending")
        for before, after in itertools.pairwise(history):
            assert after.from_status == before.to_status
            assert can_move(OrderStatus(before.to_status), OrderStatus(after.to_status))
            assert after.created_at > before.created_at
        assert history[-1].to_status == orders[order_id]


async def test_customers_exist_before_their_first_order(demo):
    first_orders = (
        select(Order.customer_id, func.min(Order.created_at).label("first")).group_by(Order.customer_id).subquery()
    )
    rows = await demo.rows(
        select(Customer.created_at, Customer.updated_at, first_orders.c.first)
        .outerjoin(first_orders, first_orders.c.customer_id == Customer.id)
        .where(Customer.store_id == demo.store.store_id)
    )

    assert all(row.first is None or row.created_at <= row.first for row in rows)
    assert all(row.updated_at >= row.created_at for row in rows)


async def test_some_customers_have_tags_metadata_genders_and_birth_dates(demo):
    store_id = demo.store.store_id
    people = await demo.rows(
        select(Customer.gender, Customer.birth_date, Customer.locale, Customer.metadata_).where(
            Customer.store_id == store_id
        )
    )
    tags = await demo.rows(
        select(CustomerTag.name_key, CustomerTag.customer_id).where(CustomerTag.store_id == store_id)
    )

    assert {person.gender for person in people} >= {"male", "female"}
    assert any(person.birth_date is not None for person in people)
    assert any(person.metadata_ for person in people)
    assert "vip" in {tag.name_key for tag in tags}
    assert len({tag.customer_id for tag in tags}) > 1


async def test_phones_are_unique_normalised_dz_mobiles(demo):
    rows = await demo.rows(select(Customer.phone).where(Customer.store_id == demo.store.store_id))
    phones = [row.phone for row in rows]

    assert len(set(phones)) == len(phones) == SIZE["customers"]
    assert all(re.fullmatch(r"0[567]\d{8}", phone) and normalize_phone(phone) == phone for phone in phones)


async def test_product_slugs_and_skus_are_unique(demo):
    rows = await demo.rows(select(Product.slug, Product.sku).where(Product.store_id == demo.store.store_id))

    assert len({row.slug for row in rows}) == len({row.sku for row in rows}) == len(rows) == SIZE["products"]


async def test_repeated_product_names_get_numbered_slugs(demo):
    # More products than catalogue listings: names repeat, and slugs must still be unique.
    store = await build_demo(demo.sessionmaker, customers=0, orders=0, products=400, progress=False)
    rows = await demo.rows(select(Product.slug).where(Product.store_id == store.store_id))
    slugs = [row.slug for row in rows]

    assert len(set(slugs)) == len(slugs) == 400
    assert any(slug.endswith("-2") for slug in slugs)


async def test_the_same_seed_gives_the_same_data(demo):
    again = await build_demo(demo.sessionmaker, **SIZE, progress=False, reset=False)

    async def people(store_id: int) -> list[tuple[Any, ...]]:
        stmt = select(Customer.first_name, Customer.last_name, Customer.phone).where(Customer.store_id == store_id)
        return [tuple(row) for row in await demo.rows(stmt.order_by(Customer.id))]

    async def totals(store_id: int) -> list[tuple[Any, ...]]:
        stmt = select(Order.total, Order.status, Order.created_at).where(Order.store_id == store_id)
        return [tuple(row) for row in await demo.rows(stmt.order_by(Order.id))]

    assert again.store_id != demo.store.store_id
    assert await people(again.store_id) == await people(demo.store.store_id)
    assert await totals(again.store_id) == await totals(demo.store.store_id)


async def test_reviews_are_of_delivered_orders_by_their_customers(demo):
    stmt = (
        select(Order.status, Order.customer_id, Review.customer_id, Review.created_at, Order.updated_at)
        .join(Order, Order.id == Review.order_id)
        .where(Review.store_id == demo.store.store_id)
    )
    rows = await demo.rows(stmt)

    assert rows
    assert {row[0] for row in rows} == {OrderStatus.DELIVERED.value}
    assert all(row[1] == row[2] for row in rows)
    assert all(row[3] >= row[4] for row in rows)


async def test_some_reviews_are_approved_and_some_answered_by_the_demo_key(demo):
    parsed = parse_platform_key(demo.store.key)
    assert parsed is not None
    [key] = await demo.rows(select(ApiKey.id).where(ApiKey.key_id == parsed.key_id))
    stmt = select(Review.is_approved, Review.response_text, Review.responded_by, Review.responded_at).where(
        Review.store_id == demo.store.store_id
    )
    rows = await demo.rows(stmt)

    assert {row.is_approved for row in rows} == {True, False}
    answered = [row for row in rows if row.response_text is not None]
    assert answered
    assert len(answered) < len(rows)
    assert all(row.responded_by == key.id and row.responded_at is not None for row in answered)


async def test_the_same_seed_gives_the_same_reviews(demo):
    again = await build_demo(demo.sessionmaker, **SIZE, progress=False, reset=False)

    async def reviews(store_id: int) -> list[tuple[Any, ...]]:
        stmt = (
            select(Order.order_number, Review.rating, Review.comment, Review.is_approved, Review.created_at)
            .join(Order, Order.id == Review.order_id)
            .where(Review.store_id == store_id)
            .order_by(Review.id)
        )
        return [(number.rpartition(f"-{store_id}-")[2], *rest) for number, *rest in await demo.rows(stmt)]

    assert await reviews(again.store_id) == await reviews(demo.store.store_id)


async def test_the_returned_key_is_a_test_platform_key(demo):
    parsed = parse_platform_key(demo.store.key)

    assert parsed is not None
    assert parsed.env is KeyEnv.TEST


async def test_the_returned_key_holds_every_scope_of_the_demo_store(demo):
    parsed = parse_platform_key(demo.store.key)
    assert parsed is not None
    [key] = await demo.rows(select(ApiKey.store_id, ApiKey.type, ApiKey.scopes).where(ApiKey.key_id == parsed.key_id))

    assert key.store_id == demo.store.store_id
    assert key.type == KeyType.PLATFORM.value
    assert key.scopes == [scope.value for scope in ALL_SCOPES]


async def test_some_customers_are_archived_after_their_last_order(demo):
    rows = await demo.rows(
        select(Customer.archived_at, Customer.updated_at, func.max(Order.created_at).label("last"))
        .outerjoin(Order, Order.customer_id == Customer.id)
        .where(Customer.store_id == demo.store.store_id, Customer.archived_at.is_not(None))
        .group_by(Customer.id, Customer.archived_at, Customer.updated_at)
    )

    assert rows
    assert all(row.last is None or row.archived_at > row.last for row in rows)
    assert all(row.updated_at >= row.archived_at for row in rows)


async def test_every_wilaya_is_in_exactly_one_delivery_zone_whose_home_fee_is_over_its_desk_fee(demo):
    store_id = demo.store.store_id
    wilayas = await demo.rows(select(ZoneWilaya.wilaya_id).where(ZoneWilaya.store_id == store_id))
    zones = await demo.rows(
        select(DeliveryZone.name, DeliveryZone.home_fee, DeliveryZone.desk_fee).where(DeliveryZone.store_id == store_id)
    )

    assert sorted(wilaya for (wilaya,) in wilayas) == list(range(1, 59))
    assert len(zones) >= 6
    assert all(home > desk > 0 for _name, home, desk in zones)


async def test_some_customers_have_address_books_each_with_one_default(demo):
    store_id = demo.store.store_id
    books = await demo.rows(
        select(
            CustomerAddress.customer_id,
            func.count().label("addresses"),
            func.sum(case((CustomerAddress.is_default.is_(True), 1), else_=0)).label("defaults"),
        )
        .where(CustomerAddress.store_id == store_id)
        .group_by(CustomerAddress.customer_id)
    )

    assert 0 < len(books) < SIZE["customers"]
    assert any(row.addresses == 2 for row in books)
    assert all(row.defaults == 1 and row.addresses <= 2 for row in books)


async def test_the_ledgers_sum_to_their_balances_and_delivered_orders_earned_once(demo):
    store_id = demo.store.store_id
    people = {
        row.id: row
        for row in await demo.rows(
            select(
                Customer.id,
                Customer.loyalty_balance,
                Customer.is_loyalty_enabled,
                Customer.house_account_balance,
                Customer.house_account_limit,
                Customer.is_house_account_enabled,
            ).where(Customer.store_id == store_id)
        )
    }
    orders = {
        row.id: row
        for row in await demo.rows(
            select(Order.id, Order.customer_id, Order.total, Order.status, Order.payment_method).where(
                Order.store_id == store_id
            )
        )
    }
    sums: dict[tuple[str, int], int] = defaultdict(int)
    earned: dict[int, int] = {}
    charged: set[int] = set()
    for model, amount in (
        (LoyaltyTransaction, LoyaltyTransaction.delta),
        (HouseAccountTransaction, HouseAccountTransaction.amount),
    ):
        stmt = select(model.customer_id, model.kind, amount.label("amount"), model.balance_after, model.order_id)
        for entry in await demo.rows(
            stmt.where(model.store_id == store_id).order_by(model.customer_id, model.created_at, model.id)
        ):
            key = (model.__tablename__, entry.customer_id)
            sums[key] += entry.amount
            assert entry.balance_after == sums[key] >= 0
            if entry.kind == "earning":
                assert entry.order_id not in earned
                earned[entry.order_id] = entry.amount
            if entry.kind == "charge":
                charged.add(entry.order_id)
    for person in people.values():
        assert person.loyalty_balance == sums[("loyalty_transactions", person.id)]
        assert person.house_account_balance == sums[("house_account_transactions", person.id)]
        assert person.house_account_limit is None or person.house_account_balance <= person.house_account_limit
    delivered = {
        order.id: order.total // 100
        for order in orders.values()
        if order.status == "delivered" and order.total >= 100 and people[order.customer_id].is_loyalty_enabled
    }
    assert earned == delivered
    assert charged == {order.id for order in orders.values() if order.payment_method == "house_account"}
    assert charged

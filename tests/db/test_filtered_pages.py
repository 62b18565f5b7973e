"""Filtered and sorted lists built once per filter shape (db/queries/customers.py, orders.py, catalog.py): every
filter, sort and cursor position finds what the filter's definition finds, here computed in Python from the rows
themselves, whatever other shapes ran before it, on SQLite and PostgreSQL, through SQLAlchemy and on the driver."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_reads import DirectConnection, DirectReads
from db.models import Customer, CustomerTag, Order, Product
from db.queries import customers, orders
from db.queries.catalog import ProductFilter, count_products, list_products, product_ordering
from db.queries.customers import CUSTOMER_ORDERINGS, CustomerFilter, count_customers, customer_ordering, list_customers
from db.queries.executor import Executor
from db.queries.orders import (
    NEWEST_FIRST,
    ORDER_ORDERINGS,
    OrderFilter,
    count_orders,
    list_orders,
    order_counts_for_customers,
    order_ordering,
    order_pages_for_customers,
)
from db.queries.pagination import Ordering
from schema.customers.inputs import CustomerSort, customer_condition
from schema.customers.inputs import customer_ordering as customer_sort_ordering
from schema.orders.inputs import OrderSort, order_condition
from schema.orders.inputs import order_ordering as order_sort_ordering
from tests.conftest import services_of
from tests.support.factories import create_customer, create_order, create_product, create_store

BASE = datetime(2025, 3, 1, 9, 30)
PAGE = 2


@dataclass(frozen=True)
class Rows:
    store_id: int
    customers: list[Any]
    tags: dict[int, set[str]]
    orders: list[Any]
    products: list[Any]


@pytest.fixture
async def rows(session: AsyncSession) -> Rows:
    """A store whose customers differ in every filtered column, with ties in the sort columns, nulls in the
    nullable ones and LIKE's wildcards in their text; their orders and some products. Another store's rows too."""
    store = await create_store(session)
    other = await create_store(session)
    product = await create_product(session, store, name="Cotton shirt", price=1000, created_at=BASE)
    tags: dict[int, set[str]] = {}
    names = ["Amina", "Samir", "Amina", "Yacine", "Lina", "Samir", "Karim", "Nadia", "Amine"]
    for index, first_name in enumerate(names):
        customer = await create_customer(
            session,
            store,
            first_name=first_name,
            last_name=("Ben_ali", "Hadj%", "Saidi")[index % 3],
            email=None if index % 4 == 1 else f"{first_name.lower()}{index}@example.com",
            is_banned=index == 4,
            total_orders=index % 3,
            total_spent=(index % 3) * 1500,
            created_at=BASE + timedelta(hours=index // 2),
        )
        customer.phone = f"055500000{index}"
        customer.accepts_marketing = index % 2 == 0
        customer.last_order_at = None if index % 3 == 0 else BASE + timedelta(days=index % 4)
        customer.updated_at = BASE + timedelta(minutes=index % 5)
        customer.archived_at = BASE if index in (2, 7) else None
        tags[customer.id] = {("vip", "wholesale", "new")[index % 3]} if index % 4 else set()
        for key in tags[customer.id]:
            session.add(CustomerTag(customer_id=customer.id, store_id=store.id, name=key.upper(), name_key=key))
        for number in range(index % 4):
            order = await create_order(
                session,
                store,
                customer,
                [(product, 1 + number)],
                status=("pending", "delivered", "cancelled")[(index + number) % 3],
                created_at=BASE + timedelta(hours=number * 3 - index),
            )
            order.payment_status = "paid" if number % 2 else "pending"
    foreign = await create_customer(session, other, first_name="Amina")
    await create_order(session, other, foreign, [(await create_product(session, other), 1)])
    for index in range(7):
        await create_product(
            session,
            store,
            name=("Cotton 100%", "Silk_scarf", "Bare shoe")[index % 3],
            price=(500, 1500, 500)[index % 3],
            status=("active", "draft", "archived", "active")[index % 4],
            created_at=BASE + timedelta(hours=index // 2),
        )
    await session.commit()
    return Rows(
        store_id=store.id,
        customers=await _rows_of(session, Customer, store.id),
        tags=tags,
        orders=await _rows_of(session, Order, store.id),
        products=await _rows_of(session, Product, store.id),
    )


async def _rows_of(session: AsyncSession, model: Any, store_id: int) -> list[Any]:
    """The store's rows of ``model``'s table, as the database holds them."""
    table = model.__table__
    return list((await session.execute(table.select().where(table.c.store_id == store_id))).all())


@pytest.fixture
async def executors(app: FastAPI, session: AsyncSession) -> AsyncIterator[list[Executor | DirectConnection]]:
    """The ways a query's statements run: through SQLAlchemy (a session), and on PostgreSQL on the driver too (a
    connection that runs the statements built once, which ``fetch_rows`` gives it)."""
    engine = services_of(app).engine
    if engine.dialect.name != "postgresql":
        yield [session]
        return
    reads = DirectReads(engine)
    connection = await reads.connect()
    try:
        yield [session, connection]
    finally:
        await connection.close()
        await reads.release()  # the app's engine outlives the test


# --- what each filter and sort means, in Python ------------------------------------------------------------------


def sorted_by(ordering: Ordering, items: list[Any]) -> list[Any]:
    """In the ordering's direction, the id breaking ties; a null sorts as larger than any value."""

    def key(item: Any) -> tuple[Any, ...]:
        value = getattr(item, ordering.sort_attr)
        return (True, item.id) if value is None else (False, value, item.id)

    return sorted(items, key=key, reverse=ordering.descending)


def customer_matches(where: CustomerFilter, customer: Any, tags: set[str]) -> bool:
    texts = (customer.first_name, customer.last_name, customer.email, customer.phone)
    checks = [
        (customer.archived_at is not None) == where.is_archived,
        where.phone is None or customer.phone == where.phone,
        where.email is None or customer.email == where.email,
        not where.search
        or any(text is not None and where.search.lower() in text.lower() for text in texts)
        or (where.search_phone is not None and customer.phone == where.search_phone),
        where.is_banned is None or customer.is_banned == where.is_banned,
        where.tags is None or bool(tags & set(where.tags)),
        where.min_spent is None or customer.total_spent >= where.min_spent,
        where.max_spent is None or customer.total_spent <= where.max_spent,
        where.has_orders is None or (customer.total_orders > 0) == where.has_orders,
        where.last_order_after is None
        or (customer.last_order_at is not None and customer.last_order_at >= where.last_order_after),
        where.updated_after is None or customer.updated_at >= where.updated_after,
        where.created_after is None or customer.created_at >= where.created_after,
        where.accepts_marketing is None or customer.accepts_marketing == where.accepts_marketing,
    ]
    return all(checks)


def order_matches(where: OrderFilter, order: Any) -> bool:
    return (
        (where.status is None or order.status == where.status)
        and (where.payment_status is None or order.payment_status == where.payment_status)
        and (where.since is None or order.created_at >= where.since)
        and (where.customer_id is None or order.customer_id == where.customer_id)
    )


def product_matches(where: ProductFilter, product: Any) -> bool:
    texts = (product.name, product.sku, product.description)
    return (where.status is None or product.status == where.status) and (
        not where.search or any(text is not None and where.search.lower() in text.lower() for text in texts)
    )


# --- the filters: every condition alone, with its other values, and mixed ----------------------------------------


def customer_filters() -> Iterator[CustomerFilter]:
    after = BASE + timedelta(hours=1)
    yield CustomerFilter()
    yield CustomerFilter(is_archived=True)
    yield CustomerFilter(phone="0555000003")
    yield CustomerFilter(phone="0555000005")
    yield CustomerFilter(email="amina0@example.com")
    for search in ("am", "AMI", "_", "%", "hadj%", "", "  ", "example"):
        yield CustomerFilter(search=search)
    yield CustomerFilter(search="nobody", search_phone="0555000006")
    yield CustomerFilter(search="sam", search_phone="0555000000")
    for banned in (True, False):
        yield CustomerFilter(is_banned=banned)
    for tags in (("vip",), ("wholesale", "new"), (), ("none",)):
        yield CustomerFilter(tags=tags)
    yield CustomerFilter(min_spent=1500)
    yield CustomerFilter(max_spent=1500)
    yield CustomerFilter(min_spent=0, max_spent=0)
    for has_orders in (True, False):
        yield CustomerFilter(has_orders=has_orders)
    yield CustomerFilter(last_order_after=BASE + timedelta(days=1))
    yield CustomerFilter(updated_after=BASE + timedelta(minutes=2))
    yield CustomerFilter(created_after=after)
    for marketing in (True, False):
        yield CustomerFilter(accepts_marketing=marketing)
    yield CustomerFilter(
        search="a", is_banned=False, tags=("vip", "new"), has_orders=True, created_after=BASE, accepts_marketing=False
    )
    yield CustomerFilter(is_archived=True, search="in", min_spent=1, last_order_after=BASE)


def order_filters(customer_ids: list[int]) -> Iterator[OrderFilter]:
    yield OrderFilter()
    for status in ("pending", "delivered", "cancelled", "shipped"):
        yield OrderFilter(status=status)
    yield OrderFilter(payment_status="paid")
    yield OrderFilter(since=BASE - timedelta(hours=2))
    yield OrderFilter(customer_id=customer_ids[3])
    yield OrderFilter(status="pending", payment_status="pending", since=BASE - timedelta(hours=6))
    yield OrderFilter(status="delivered", customer_id=customer_ids[7])


PRODUCT_FILTERS = [
    ProductFilter(),
    ProductFilter(status="active"),
    ProductFilter(status="draft"),
    ProductFilter(search="cotton"),
    ProductFilter(search="%"),
    ProductFilter(search="_"),
    ProductFilter(search=""),
    ProductFilter(status="active", search="SHOE"),
]


def customer_orderings() -> list[Ordering]:
    return [customer_ordering(field, descending) for field in CUSTOMER_ORDERINGS for descending in (True, False)]


def order_orderings() -> list[Ordering]:
    return [order_ordering(field, descending) for field in ORDER_ORDERINGS for descending in (True, False)]


def product_orderings() -> list[Ordering]:
    return [product_ordering(field, descending) for field in ("created_at", "price") for descending in (True, False)]


# --- walking a list page by page ----------------------------------------------------------------------------------

Page = Callable[[list[Any] | None], Awaitable[list[Any]]]


def cursor_of(ordering: Ordering, row: Any) -> list[Any]:
    """The position after ``row`` as a cursor carries it (JSON values)."""
    value, row_id = ordering.key_of(row)
    return [value.isoformat() if isinstance(value, datetime) else value, row_id]


async def every_page(ordering: Ordering, page: Page) -> list[int]:
    """The ids of every page of the list, in order, following each page's last row."""
    ids: list[int] = []
    after: list[Any] | None = None
    while True:
        found = await page(after)
        assert len(found) <= PAGE + 1
        ids.extend(row.id for row in found[:PAGE])
        if len(found) <= PAGE:
            return ids
        after = cursor_of(ordering, found[PAGE - 1])


# --- the tests ----------------------------------------------------------------------------------------------------


async def test_every_customer_filter_sort_and_position_finds_what_the_filter_means(rows, executors):
    for db in executors:
        for where in customer_filters():
            matching = [c for c in rows.customers if customer_matches(where, c, rows.tags[c.id])]
            for ordering in customer_orderings():
                page = functools.partial(list_customers, db, rows.store_id, where, ordering, first=PAGE)
                expected = [customer.id for customer in sorted_by(ordering, matching)]
                assert await every_page(ordering, page) == expected, (where, ordering.name)
            assert await count_customers(db, rows.store_id, where) == len(matching), where


async def test_every_order_filter_sort_and_position_finds_what_the_filter_means(rows, executors):
    for db in executors:
        for where in order_filters([customer.id for customer in rows.customers]):
            matching = [order for order in rows.orders if order_matches(where, order)]
            for ordering in order_orderings():
                page = functools.partial(list_orders, db, rows.store_id, where, ordering, first=PAGE)
                expected = [order.id for order in sorted_by(ordering, matching)]
                assert await every_page(ordering, page) == expected, (where, ordering.name)
            assert await count_orders(db, rows.store_id, where) == len(matching), where


async def test_every_product_filter_sort_and_position_finds_what_the_filter_means(rows, executors):
    for db in executors:
        for where in PRODUCT_FILTERS:
            matching = [product for product in rows.products if product_matches(where, product)]
            for ordering in product_orderings():
                page = functools.partial(list_products, db, rows.store_id, where, ordering, first=PAGE)
                expected = [product.id for product in sorted_by(ordering, matching)]
                assert await every_page(ordering, page) == expected, (where, ordering.name)
            assert await count_products(db, rows.store_id, where) == len(matching), where


@pytest.mark.parametrize("with_cursor", [False, True], ids=["first_page", "after_cursor"])
async def test_a_levels_filtered_order_pages_and_counts_find_what_the_filter_means(rows, executors, with_cursor):
    customer_ids = [customer.id for customer in rows.customers]
    # One position every customer's page is read after: the middle order of the store's, newest first.
    newest_first = sorted_by(NEWEST_FIRST, rows.orders)
    after = cursor_of(NEWEST_FIRST, newest_first[len(newest_first) // 2]) if with_cursor else None
    for db in executors:
        for where in order_filters(customer_ids):
            matching = [order for order in newest_first if order_matches(where, order)]
            if after is not None:
                matching = [order for order in matching if _after(NEWEST_FIRST, order, after)]
            expected: dict[int, list[int]] = {}
            for order in matching:
                theirs = expected.setdefault(order.customer_id, [])
                if len(theirs) <= PAGE:
                    theirs.append(order.id)

            pages = await order_pages_for_customers(db, rows.store_id, customer_ids, where, NEWEST_FIRST, after, PAGE)

            assert {customer: [row.id for row in found] for customer, found in pages.items()} == expected, where


async def test_a_levels_filtered_order_counts_find_what_the_filter_means(rows, executors):
    customer_ids = [customer.id for customer in rows.customers]
    for db in executors:
        for where in order_filters(customer_ids):
            expected: dict[int, int] = {}
            for order in rows.orders:
                if order_matches(where, order):
                    expected[order.customer_id] = expected.get(order.customer_id, 0) + 1

            assert await order_counts_for_customers(db, rows.store_id, customer_ids, where) == expected, where


def _after(ordering: Ordering, row: Any, position: list[Any]) -> bool:
    value, row_id = ordering.parse(position)
    key = (getattr(row, ordering.sort_attr), row.id)
    return key < (value, row_id) if ordering.descending else key > (value, row_id)


def test_one_shape_is_one_statement_whatever_the_values():
    assert CustomerFilter(search="a", min_spent=1).shape() == CustomerFilter(search="zz", min_spent=9).shape()
    assert OrderFilter(status="pending").shape() == OrderFilter(status="delivered").shape()
    assert ProductFilter(search="x").shape() == ProductFilter(search="y").shape()


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (CustomerFilter(is_banned=True), CustomerFilter(is_banned=False)),
        (CustomerFilter(has_orders=True), CustomerFilter(has_orders=False)),
        (CustomerFilter(accepts_marketing=True), CustomerFilter(accepts_marketing=False)),
        (CustomerFilter(), CustomerFilter(is_archived=True)),
        (CustomerFilter(search="a"), CustomerFilter(search="a", search_phone="0555000000")),
        (CustomerFilter(tags=()), CustomerFilter()),
    ],
)
def test_a_value_written_into_the_sql_makes_a_shape_of_its_own(one, other):
    assert one.shape() != other.shape()


def test_a_search_of_nothing_is_no_condition():
    assert CustomerFilter(search="", search_phone="0555000000").shape() == CustomerFilter().shape()
    assert ProductFilter(search="").shape() == ProductFilter().shape()


def test_every_customer_condition_is_in_the_shape():
    values: dict[str, Any] = {
        "phone": "x",
        "email": "x",
        "search": "x",
        "search_phone": "x",
        "is_banned": True,
        "is_archived": True,
        "tags": ("x",),
        "min_spent": 1,
        "max_spent": 1,
        "has_orders": True,
        "last_order_after": BASE,
        "updated_after": BASE,
        "created_after": BASE,
        "accepts_marketing": True,
    }
    assert set(values) == {field.name for field in fields(CustomerFilter)}
    shapes = {CustomerFilter(**{name: value}).shape() for name, value in values.items() if name != "search_phone"}
    assert len(shapes) == len(values) - 1
    assert CustomerFilter().shape() not in shapes


def test_a_list_without_a_filter_or_a_sort_takes_what_the_general_way_makes() -> None:
    """The filters and sorts a list gets when none is given are made once; what they hold is what a filter and a
    sort built anew give."""
    assert customer_condition(None, "DZ") is customers.NO_CUSTOMER_FILTER
    assert order_condition(None) is orders.NO_ORDER_FILTER
    no_customer_filter = replace(customers.NO_CUSTOMER_FILTER)
    assert no_customer_filter is not customers.NO_CUSTOMER_FILTER
    assert customers.NO_CUSTOMER_FILTER.shape() == no_customer_filter.shape()
    assert customers.NO_CUSTOMER_FILTER.parameters(7) == no_customer_filter.parameters(7) == {"store_id": 7}
    no_order_filter = replace(orders.NO_ORDER_FILTER)
    assert no_order_filter is not orders.NO_ORDER_FILTER
    assert orders.NO_ORDER_FILTER.shape() == no_order_filter.shape()
    assert orders.NO_ORDER_FILTER.parameters(7) == no_order_filter.parameters(7) == {"store_id": 7}
    assert customer_sort_ordering(None) is customer_sort_ordering(CustomerSort())
    assert order_sort_ordering(None) is order_sort_ordering(OrderSort())

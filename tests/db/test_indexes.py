"""Every keyset sort has its (store_id, sort column, id) index, the database really uses it (no sort step in the
plan of any list and sort, the archived customers' list included), every customer filter reads an index, and
migrations 0003, which added the missing ones, and 0009, which split the customers' in live and archived partial
indexes, downgrade cleanly."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Executable, Index, Result, false, inspect, literal, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

import db.queries
from db.base import Base
from db.migrate import alembic_config, upgrade_to_head
from db.models import Customer
from db.queries.analytics import orders_by_status_for_customers, top_products_for_customers
from db.queries.catalog import LandingPageFilter, ProductFilter, list_landing_pages, list_products, product_ordering
from db.queries.customer_tags import store_tag_counts
from db.queries.customers import CustomerFilter, customer_ordering, list_customers
from db.queries.keys import list_api_keys
from db.queries.orders import OrderFilter, list_orders, order_ordering
from db.queries.pagination import Ordering
from db.queries.reviews import NEWEST_REVIEWS, ReviewFilter, list_reviews
from db.queries.webhooks import list_webhook_subscriptions
from db.session import create_engine
from schema.core.enums import CustomerSortField, OrderSortField, ProductSortField
from tests.conftest import postgres_database

# Each sort enum of the schema, with the function that turns one of its values into the query's ordering.
SORT_ENUMS: list[tuple[type[Enum], Callable[[str, bool], Ordering]]] = [
    (CustomerSortField, lambda field, descending: customer_ordering(field, descending)),
    (OrderSortField, lambda field, descending: order_ordering(field, descending)),
    (ProductSortField, lambda field, descending: product_ordering(field, descending)),
]
STORE_ID = 1
PAGE_SIZE = 20
# Lists of one parent rather than of the whole store: their index leads with the parent's id.
SCOPE_COLUMNS = {
    "webhook_deliveries.created_at:desc": "subscription_id",
    # A ledger is read per customer, never across the store.
    "loyalty_transactions.created_at:desc": "customer_id",
    "house_account_transactions.created_at:desc": "customer_id",
}


def sort_orderings() -> Iterator[Ordering]:
    for enum, ordering_of in SORT_ENUMS:
        for member in enum:
            yield ordering_of(member.value, True)


def fixed_orderings() -> Iterator[Ordering]:
    """The module-level orderings of db/queries (newest first of the lists that have no sort argument)."""
    for module_info in pkgutil.iter_modules(db.queries.__path__):
        module = importlib.import_module(f"db.queries.{module_info.name}")
        yield from (value for value in vars(module).values() if isinstance(value, Ordering))


def leading_columns(index: Index, count: int) -> tuple[str, ...]:
    return tuple(column.name for column in index.columns)[:count]


def has_keyset_index(ordering: Ordering, scope_column: str) -> bool:
    table = Base.metadata.tables[ordering.column.class_.__tablename__]
    wanted = (scope_column, ordering.column.name, ordering.id_column.name)
    return any(leading_columns(index, 3) == wanted for index in table.indexes)


# --- the metadata ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ordering", list(sort_orderings()), ids=lambda ordering: ordering.name)
def test_every_sort_field_of_the_schema_has_a_store_sort_column_id_index(ordering):
    assert has_keyset_index(ordering, "store_id"), f"no (store_id, {ordering.column.name}, id) index"


def test_every_fixed_ordering_of_the_queries_has_an_index():
    orderings = list(fixed_orderings())

    assert {ordering.name for ordering in orderings} >= {
        "landing_pages.created_at:desc",
        "webhook_subscriptions.created_at:desc",
        "api_keys.created_at:desc",
        "orders.created_at:desc",
    }
    missing = [
        ordering.name
        for ordering in orderings
        if not has_keyset_index(ordering, SCOPE_COLUMNS.get(ordering.name, "store_id"))
    ]
    assert missing == []


def test_the_fraud_heuristics_device_lookup_has_an_index():
    indexes = Base.metadata.tables[Customer.__tablename__].indexes

    assert any(leading_columns(index, 2) == ("store_id", "device_fingerprint") for index in indexes)


# --- the plans -------------------------------------------------------------------------------------------------


class ExplainingExecutor:
    """Runs EXPLAIN of each statement a query function sends, records the plan and returns no rows."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.plans: list[list[str]] = []

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None, /) -> Result[Any]:
        assert isinstance(statement, ClauseElement)
        dialect = self.connection.dialect
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        # The SQL and parameters as executed: a list parameter (tag keys) expanded into one parameter per value.
        expanded = compiled.construct_expanded_state(dict(parameters or {}))
        values = []
        for name, value in zip(expanded.positiontup or (), expanded.positional_parameters, strict=True):
            processor = expanded.processors.get(name)
            values.append(processor(value) if processor else value)
        sql = expanded.statement
        if dialect.name == "postgresql":
            plan = await self.connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", tuple(values))
            self.plans.append(list(node_types(plan.scalar_one())))
        else:
            plan = await self.connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(values))
            self.plans.append([row[-1] for row in plan.all()])
        return await self.connection.execute(select(literal(1)).where(false()))


def node_types(plan: Any) -> Iterator[str]:
    """Every node type of a PostgreSQL JSON plan, depth first."""
    nodes = [plan[0]["Plan"]] if isinstance(plan, list) else [plan]
    while nodes:
        node = nodes.pop()
        yield node["Node Type"]
        nodes.extend(node.get("Plans", []))


def cursor_for(ordering: Ordering) -> list[Any]:
    values: dict[type, Any] = {datetime: datetime(2024, 1, 1).isoformat(), str: "Amina", int: 5000}
    return [values[ordering.kind], 42]


ListQuery = Callable[[ExplainingExecutor, list[Any] | None], Awaitable[Any]]


def list_queries() -> Iterator[tuple[str, Ordering, ListQuery]]:
    """Every list with every ordering it can be asked for (both directions of each sort field)."""
    for descending in (True, False):
        for field in CustomerSortField:
            ordering = customer_ordering(field.value, descending)
            yield ordering.name, ordering, _customers(ordering)
            # The archived customers' list (filter.isArchived) has partial indexes of its own.
            yield f"{ordering.name}:archived", ordering, _customers(ordering, CustomerFilter(is_archived=True))
        for order_field in OrderSortField:
            ordering = order_ordering(order_field.value, descending)
            yield ordering.name, ordering, _orders(ordering)
        for product_field in ProductSortField:
            ordering = product_ordering(product_field.value, descending)
            yield ordering.name, ordering, _products(ordering)
    for name, query in (
        ("landing_pages", lambda db, after: list_landing_pages(db, STORE_ID, LandingPageFilter(), after, PAGE_SIZE)),
        ("webhook_subscriptions", lambda db, after: list_webhook_subscriptions(db, STORE_ID, after, PAGE_SIZE)),
        ("api_keys", lambda db, after: list_api_keys(db, STORE_ID, after, PAGE_SIZE)),
    ):
        [ordering] = [o for o in fixed_orderings() if o.name.startswith(f"{name}.")]
        yield ordering.name, ordering, query
    # The review list's equality filters each have an index that keeps the newest-first order.
    for label, where in (
        ("all", ReviewFilter()),
        ("is_approved", ReviewFilter(is_approved=False)),
        ("customer_id", ReviewFilter(customer_id=1)),
    ):
        yield f"{NEWEST_REVIEWS.name}[{label}]", NEWEST_REVIEWS, _reviews(where)


def _reviews(where: ReviewFilter) -> ListQuery:
    return lambda db, after: list_reviews(db, STORE_ID, where, after, PAGE_SIZE)


def _customers(ordering: Ordering, where: CustomerFilter | None = None) -> ListQuery:
    return lambda db, after: list_customers(db, STORE_ID, where or CustomerFilter(), ordering, after, PAGE_SIZE)


def _orders(ordering: Ordering) -> ListQuery:
    return lambda db, after: list_orders(db, STORE_ID, OrderFilter(), ordering, after, PAGE_SIZE)


def _products(ordering: Ordering) -> ListQuery:
    return lambda db, after: list_products(db, STORE_ID, ProductFilter(), ordering, after, PAGE_SIZE)


LIST_QUERIES = list(list_queries())


@pytest.fixture
async def planner(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A connection whose planner avoids a sort or a full scan whenever an index can serve the query instead,
    so a sort left in a plan means that no index can."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                for setting in ("enable_seqscan", "enable_sort", "enable_bitmapscan"):
                    await connection.execute(text(f"SET LOCAL {setting} = off"))
            yield connection
    finally:
        await engine.dispose()


@pytest.mark.parametrize("with_cursor", [False, True], ids=["first_page", "after_cursor"])
@pytest.mark.parametrize(("name", "ordering", "query"), LIST_QUERIES, ids=[name for name, _, _ in LIST_QUERIES])
async def test_every_list_and_sort_is_served_by_an_index_without_a_sort_step(
    planner, name, ordering, query, with_cursor
):
    explaining = ExplainingExecutor(planner)

    await query(explaining, cursor_for(ordering) if with_cursor else None)

    [plan] = explaining.plans
    if planner.dialect.name == "postgresql":
        assert not any("Sort" in node for node in plan), plan
        assert any(node in ("Index Scan", "Index Only Scan") for node in plan), plan
    else:
        assert not any("TEMP B-TREE" in step for step in plan), plan
        assert any("USING INDEX" in step or "USING COVERING INDEX" in step for step in plan), plan


@pytest.mark.parametrize("descending", [True, False], ids=["desc", "asc"])
async def test_the_last_order_sort_after_a_customer_without_orders_is_served_by_an_index(planner, descending):
    ordering = customer_ordering("last_order_at", descending)
    explaining = ExplainingExecutor(planner)

    await _customers(ordering)(explaining, [None, 42])

    [plan] = explaining.plans
    assert_index_without_sort(planner, plan)


CUSTOMER_FILTERS: dict[str, CustomerFilter] = {
    "tags": CustomerFilter(tags=("vip", "wholesale")),
    "min_spent": CustomerFilter(min_spent=1000),
    "max_spent": CustomerFilter(max_spent=1000),
    "has_orders": CustomerFilter(has_orders=True),
    "has_no_orders": CustomerFilter(has_orders=False),
    "last_order_after": CustomerFilter(last_order_after=datetime(2024, 1, 1)),
    "updated_after": CustomerFilter(updated_after=datetime(2024, 1, 1)),
    "created_after": CustomerFilter(created_after=datetime(2024, 1, 1)),
    "accepts_marketing": CustomerFilter(accepts_marketing=True),
}


@pytest.mark.parametrize("name", list(CUSTOMER_FILTERS))
async def test_every_customer_filter_reads_an_index(planner, name):
    explaining = ExplainingExecutor(planner)
    ordering = customer_ordering("created_at", True)

    await list_customers(explaining, STORE_ID, CUSTOMER_FILTERS[name], ordering, None, PAGE_SIZE)

    [plan] = explaining.plans
    if planner.dialect.name == "postgresql":
        assert "Seq Scan" not in plan, plan
    else:
        assert not any(step.startswith("SCAN ") for step in plan), plan
        assert any("USING" in step and "INDEX" in step for step in plan), plan
    if name == "tags" and planner.dialect.name == "sqlite":
        assert any("ix_customer_tags_store_id_name_key_customer_id" in step for step in plan), plan


async def test_the_stores_tag_counts_read_the_tag_index(planner):
    explaining = ExplainingExecutor(planner)

    await store_tag_counts(explaining, STORE_ID)

    [plan] = explaining.plans
    if planner.dialect.name == "postgresql":
        assert "Seq Scan" not in plan, plan
        assert "Sort" not in plan, plan
    else:
        assert any("ix_customer_tags_store_id_name_key_customer_id" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan


def assert_index_without_sort(planner: AsyncConnection, plan: list[str]) -> None:
    if planner.dialect.name == "postgresql":
        assert not any("Sort" in node for node in plan), plan
        assert any(node in ("Index Scan", "Index Only Scan") for node in plan), plan
    else:
        assert not any("TEMP B-TREE" in step for step in plan), plan
        assert any("USING INDEX" in step or "USING COVERING INDEX" in step for step in plan), plan


# --- migration 0003 --------------------------------------------------------------------------------------------


@pytest.fixture
async def scratch_database_url(database_url: str, tmp_path) -> AsyncIterator[str]:
    """An empty database of the same backend, so that migrating it down and up disturbs no other test."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    async with postgres_database("storegraph_scratch") as url:
        yield url


ADDED_BY_0003 = {
    ("orders", "ix_orders_store_id_updated_at_id"),
    ("orders", "ix_orders_store_id_total_id"),
    ("products", "ix_products_store_id_updated_at_id"),
    ("products", "ix_products_store_id_price_id"),
    ("customers", "ix_customers_store_id_device_fingerprint"),
    ("api_keys", "ix_api_keys_store_id_created_at_id"),
}


def _index_names(connection: Connection) -> set[tuple[str, str]]:
    inspector = inspect(connection)
    return {
        (table, str(index["name"]))
        for table in ("orders", "products", "customers", "api_keys")
        for index in inspector.get_indexes(table)
    }


def _downgrade_to_0002(connection: Connection) -> None:
    command.downgrade(alembic_config(connection), "0002")


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migration_0003_downgrades_to_0002_indexes_and_upgrades_back_to_the_models(scratch_database_url):
    engine = create_engine(scratch_database_url, pool_size=1)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to_0002)
        async with engine.connect() as connection:
            downgraded = await connection.run_sync(_index_names)
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            upgraded = await connection.run_sync(_index_names)
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()

    assert downgraded & ADDED_BY_0003 == set()
    assert ("api_keys", "ix_api_keys_store_id") in downgraded
    assert upgraded >= ADDED_BY_0003
    assert ("api_keys", "ix_api_keys_store_id") not in upgraded
    assert differences == []


# --- migration 0009 --------------------------------------------------------------------------------------------

CUSTOMER_SORT_COLUMNS = ("created_at", "updated_at", "total_spent", "total_orders", "last_order_at")


def _customer_indexes_and_columns(connection: Connection) -> tuple[set[str], set[str]]:
    inspector = inspect(connection)
    indexes = {str(index["name"]) for index in inspector.get_indexes("customers")}
    return indexes, {column["name"] for column in inspector.get_columns("customers")}


def _downgrade_to_0006(connection: Connection) -> None:
    command.downgrade(alembic_config(connection), "0006")


async def test_migration_0009_splits_the_customer_sort_indexes_and_downgrades_back(scratch_database_url):
    engine = create_engine(scratch_database_url, pool_size=1)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to_0006)
        async with engine.connect() as connection:
            down_indexes, down_columns = await connection.run_sync(_customer_indexes_and_columns)
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            up_indexes, up_columns = await connection.run_sync(_customer_indexes_and_columns)
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()

    full = {f"ix_customers_store_id_{column}_id" for column in CUSTOMER_SORT_COLUMNS}
    split = {
        f"ix_customers_{state}_store_id_{column}_id"
        for column in CUSTOMER_SORT_COLUMNS
        for state in ("live", "archived")
    }
    assert full <= down_indexes
    assert not split & down_indexes
    assert {"archived_at", "erased_at"} & down_columns == set()
    assert split <= up_indexes
    assert not full & up_indexes
    assert {"archived_at", "erased_at"} <= up_columns
    assert differences == []


# --- customer analytics -----------------------------------------------------------------------------------------


class LiteralExplainingExecutor(ExplainingExecutor):
    """Explains a statement with its values written in (an expanding IN list cannot be bound positionally here);
    the analytics statements take only integers and a status."""

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None, /) -> Result[Any]:
        assert isinstance(statement, ClauseElement)
        bound = statement.params(**parameters) if parameters else statement
        compiled = bound.compile(
            dialect=self.connection.dialect, compile_kwargs={"literal_binds": True, "render_postcompile": True}
        )
        if self.connection.dialect.name == "postgresql":
            plan = await self.connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}")
            self.plans.append(list(node_types(plan.scalar_one())))
        else:
            plan = await self.connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            self.plans.append([row[-1] for row in plan.all()])
        return await self.connection.execute(select(literal(1)).where(false()))


ANALYTICS_QUERIES: list[tuple[str, Callable[[Any], Awaitable[Any]]]] = [
    ("orders_by_status", lambda db: orders_by_status_for_customers(db, STORE_ID, [1, 2, 3])),
    ("top_products", lambda db: top_products_for_customers(db, STORE_ID, [1, 2, 3], 5, uncounted="cancelled")),
]


@pytest.mark.parametrize(("name", "query"), ANALYTICS_QUERIES, ids=[name for name, _ in ANALYTICS_QUERIES])
async def test_the_analytics_aggregates_find_orders_by_customer_and_lines_by_order_through_indexes(
    planner, name, query
):
    explaining = LiteralExplainingExecutor(planner)

    await query(explaining)

    [plan] = explaining.plans
    if planner.dialect.name == "postgresql":
        assert "Seq Scan" not in plan, plan
        assert any(node in ("Index Scan", "Index Only Scan") for node in plan), plan
    else:
        full_scans = [step for step in plan if re.match(r"SCAN (orders|order_items)\b", step) and "INDEX" not in step]
        assert full_scans == [], plan
        assert any("ix_orders_store_id_customer_id_status" in step for step in plan), plan

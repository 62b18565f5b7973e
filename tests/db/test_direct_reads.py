"""Direct reads (db/direct_reads.py): on PostgreSQL a query's statements built once run on the driver itself, and
answer what SQLAlchemy's execution of the same statements answers, byte for byte through the API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import bindparam, event, insert, select, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_reads import DirectReads, compile_read
from db.models import Customer, CustomerTag, Product, Store
from db.queries.customers import customers_by_ids
from db.session import create_engine, single_statement_reads
from tests.conftest import services_of
from tests.schema.test_compiled_execution import W1, W2, W3, headers_of, hot_requests
from tests.support.compiled_queries import BASE, Seeded, answer, seed_compiled
from tests.support.factories import create_customer

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
async def seeded(session: AsyncSession) -> Seeded:
    """The compiled tests' store, with what the customer filters look at besides: last orders (and one customer
    without), tags, marketing consent, a phone in its stored form and an archived customer."""
    seeded = await seed_compiled(session)
    customers = [await session.get_one(Customer, customer_id) for customer_id in seeded.customer_ids]
    for index, customer in enumerate(customers):
        customer.last_order_at = None if index == 1 else BASE + timedelta(days=index)
        customer.accepts_marketing = index % 2 == 0
        if index in (0, 3):
            session.add(
                CustomerTag(customer_id=customer.id, store_id=customer.store_id, name="Picked", name_key="picked")
            )
    store = await session.get_one(Store, customers[0].store_id)
    customers[1].phone = "0555000000"
    archived = await create_customer(session, store, first_name="Gone")
    archived.archived_at = BASE
    await session.commit()
    return seeded


def direct_reads_of(app: FastAPI) -> DirectReads:
    reads = app.state.graphql_endpoint.direct_reads
    assert isinstance(reads, DirectReads)
    return reads


@contextmanager
def through_sqlalchemy(app: FastAPI) -> Iterator[None]:
    """A listener on the engine's statements, as a statement counter or tracing has: SQLAlchemy then runs them."""

    def listen(*_args: Any) -> None:
        pass

    engine = services_of(app).engine.sync_engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", listen)


@ON_POSTGRESQL
async def test_every_hot_read_answers_the_same_bytes_direct_and_through_sqlalchemy(app, client, seeded):
    reads = direct_reads_of(app)
    direct_before = reads.statements

    for method, url, kwargs in hot_requests(seeded):
        direct = answer(await client.request(method, url, headers=headers_of(seeded.token), **kwargs))
        direct_after = reads.statements
        with through_sqlalchemy(app):
            standard = answer(await client.request(method, url, headers=headers_of(seeded.token), **kwargs))

        assert direct == standard, url
        assert reads.statements == direct_after  # observed: SQLAlchemy ran every statement

    assert reads.statements - direct_before >= len(hot_requests(seeded))


# Filtered and sorted lists, each shape a statement built once: (the list's query, with ``$after``; the statements
# it runs, all on the driver).
FILTERED_LISTS = [
    (
        '{ customers(first: 2, after: $after, filter: {search: "ami"}, sort: {field: TOTAL_SPENT, direction: ASC}) '
        "{ totalCount nodes { id firstName totalSpent } pageInfo { hasNextPage endCursor } } }",
        2,
    ),
    (
        '{ customers(first: 2, after: $after, filter: {search: "0555 00 00 00", isBanned: false}) '
        "{ nodes { id phone } pageInfo { hasNextPage endCursor } } }",
        1,
    ),
    (
        "{ customers(first: 2, after: $after, sort: {field: LAST_ORDER_AT, direction: ASC}) "
        "{ nodes { id lastOrderAt } pageInfo { hasNextPage endCursor } } }",
        1,
    ),
    (
        "{ customers(first: 2, after: $after, sort: {field: LAST_ORDER_AT}) "
        "{ nodes { id lastOrderAt } pageInfo { hasNextPage endCursor } } }",
        1,
    ),
    (
        '{ customers(first: 2, after: $after, filter: {tags: ["PICKED", "none"], hasOrders: true, minSpent: 1, '
        'maxSpent: 100000000, createdAfter: "2000-01-01T00:00:00Z", acceptsMarketing: false}) '
        "{ totalCount nodes { id } pageInfo { hasNextPage endCursor } } }",
        2,
    ),
    (
        "{ customers(first: 2, after: $after, filter: {isArchived: true}) "
        "{ totalCount nodes { id } pageInfo { hasNextPage endCursor } } }",
        2,
    ),
    (
        '{ customers(first: 3, after: $after, filter: {lastOrderAfter: "2000-01-01T00:00:00Z"}) { nodes { id '
        "orders(first: 1, filter: {status: PENDING}) { totalCount nodes { id status } } } "
        "pageInfo { hasNextPage endCursor } } }",
        3,
    ),
    (
        '{ orders(first: 2, after: $after, filter: {status: PENDING, since: "2000-01-01T00:00:00Z"}, '
        "sort: {field: TOTAL}) { totalCount nodes { id total } pageInfo { hasNextPage endCursor } } }",
        2,
    ),
    (
        "{ orders(first: 2, after: $after, filter: {paymentStatus: PENDING}, sort: {field: UPDATED_AT, "
        "direction: ASC}) { nodes { id } pageInfo { hasNextPage endCursor } } }",
        1,
    ),
    (
        '{ products(first: 2, after: $after, filter: {status: ACTIVE, search: "o"}, sort: {field: PRICE}) '
        "{ totalCount nodes { id price } pageInfo { hasNextPage endCursor } } }",
        2,
    ),
]


@ON_POSTGRESQL
@pytest.mark.parametrize(("query", "statements"), FILTERED_LISTS)
async def test_every_page_of_a_filtered_list_answers_the_same_bytes_direct_and_through_sqlalchemy(
    app, client, seeded, query, statements
):
    reads = direct_reads_of(app)
    document = "query Filtered($after: String) " + query
    after: str | None = None
    found: list[Any] = []

    while True:
        body = {"json": {"query": document, "variables": {"after": after}}, "headers": headers_of(seeded.token)}
        before = reads.statements
        direct = await client.post("/graphql", **body)
        ran_direct = reads.statements - before
        with through_sqlalchemy(app):
            standard = await client.post("/graphql", **body)

        assert answer(direct) == answer(standard)
        assert "errors" not in direct.json(), direct.json()
        assert ran_direct == statements
        connection = next(iter(direct.json()["data"].values()))
        found.extend(connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    assert found  # the filter finds rows: the comparison is not of two empty pages


@ON_POSTGRESQL
@pytest.mark.parametrize(
    "url",
    [
        "/v1/orders?status=pending&limit=2",
        "/v1/customers?email=nobody@example.com",
        "/v1/customers?q=ami&limit=2&sort=total_spent:asc",
        "/v1/customers?tag=picked,wholesale&has_orders=true",
        "/v1/products?status=active&q=o&limit=2",
    ],
)
async def test_a_filtered_v1_list_answers_the_same_bytes_direct_and_through_sqlalchemy(app, client, seeded, url):
    reads = direct_reads_of(app)
    before = reads.statements
    assert (await client.get(url.partition("?")[0], headers=headers_of(seeded.token))).status_code == 200
    ran_unfiltered = reads.statements - before

    before = reads.statements
    direct = answer(await client.get(url, headers=headers_of(seeded.token)))
    ran_direct = reads.statements - before
    with through_sqlalchemy(app):
        standard = answer(await client.get(url, headers=headers_of(seeded.token)))

    assert direct == standard
    # A first read that finds no row brings no store version with it: the version is read, then the page again.
    assert ran_direct == (ran_unfiltered if items_in(direct) else ran_unfiltered + 2)


def items_in(body: bytes) -> int:
    _status, payload = orjson.loads(body)
    return len(payload["data"]["items"])


@ON_POSTGRESQL
@pytest.mark.parametrize(("query", "statements"), [(W1, 1), (W2, 2), (W3, 1)], ids=["W1", "W2", "W3"])
async def test_the_benchmarked_reads_run_their_statements_on_the_driver(
    app, client: httpx.AsyncClient, seeded, query, statements
):
    reads = direct_reads_of(app)
    variables = {"first": 50} if "$first" in query else {"id": str(seeded.customer_ids[0])} if "$id" in query else None
    before = reads.statements

    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers_of(seeded.token)
    )

    assert "errors" not in response.json()
    assert reads.statements - before == statements


@ON_POSTGRESQL
async def test_a_missing_id_and_another_stores_id_find_nothing(app, session, seeded):
    store_id = (await session.get(Customer, seeded.customer_ids[0])).store_id
    connection = await direct_reads_of(app).connect()
    try:
        rows = await connection.rows(
            customers_by_ids.prepared,
            {"store_id": store_id, "ids": [seeded.customer_ids[0], seeded.foreign_customer_id, 10**12]},
        )
    finally:
        await connection.close()

    assert [row.id for row in rows] == [seeded.customer_ids[0]]


@ON_POSTGRESQL
def test_a_statement_with_an_expanding_list_is_not_compiled_once(database_url):
    engine = create_engine(database_url, pool_size=1)

    with pytest.raises(ValueError, match="expanding"):
        compile_read(customers_by_ids.prepared.statement, engine.dialect)


def test_direct_reads_are_for_asyncpg_only(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")

    with pytest.raises(ValueError, match="asyncpg"):
        DirectReads(engine)


@ON_POSTGRESQL
def test_a_list_of_ids_is_one_array_parameter_on_the_driver(database_url):
    engine = create_engine(database_url, pool_size=1)

    compiled = customers_by_ids.prepared.compiled_for(engine.dialect)

    assert "= ANY (" in compiled.sql
    assert compiled.names == ("store_id", "ids")


@ON_POSTGRESQL
async def test_a_request_after_the_server_closed_the_kept_connection_is_answered(app, client, seeded):
    reads = direct_reads_of(app)
    body = {"query": W3, "variables": {"id": str(seeded.customer_ids[0])}}
    assert "errors" not in (await client.post("/graphql", json=body, headers=headers_of(seeded.token))).json()
    kept = await reads.connect()  # the connection the next request takes: the last one given back
    driver = kept._driver
    await kept.close()
    async with single_statement_reads(services_of(app).engine).connect() as other:
        await other.execute(text("SELECT pg_terminate_backend(:pid, 60000)"), {"pid": driver.get_server_pid()})
    for _ in range(1000):  # the driver sees the server's close when the loop reads the socket's end
        if driver.is_closed():
            break
        await asyncio.sleep(0)
    assert driver.is_closed()
    before = reads.statements

    response = await client.post("/graphql", json=body, headers=headers_of(seeded.token))

    assert response.status_code == 200
    assert response.json()["data"]["customer"]["id"] == str(seeded.customer_ids[0])
    assert reads.statements - before == 1  # on the driver still, on a connection of the pool


def _arguments_both_ways(statement: Any, parameters: dict[str, Any], column_keys: list[str] | None = None) -> Any:
    compiled = compile_read(statement, asyncpg_dialect(), column_keys)
    assert compiled.sources is not None
    return compiled, compiled.arguments(parameters), compiled.constructed(parameters)


def test_the_driver_s_arguments_are_those_sqlalchemy_constructs():
    # A literal bound in the statement, a parameter given by key, another the statement's own default answers.
    statement = (
        select(Product.id)
        .where(Product.store_id == bindparam("store_id"), Product.status == "active")
        .where(Product.price >= bindparam("floor", 100))
        .where(Product.name == bindparam("named", callable_=lambda: "Tapis"))
    )
    _, fast, constructed = _arguments_both_ways(statement, {"store_id": 7})

    assert fast == constructed == [7, "active", 100, "Tapis"]


def test_an_insert_s_python_defaults_fill_the_arguments_in_their_order():
    compiled, fast, constructed = _arguments_both_ways(
        insert(Product),
        {"store_id": 7, "name": "Tapis", "price": 1500, "slug": "tapis"},
        ["name", "price", "slug", "store_id"],
    )
    defaulted = {name for name, _ in compiled.defaults}
    # The clocks' readings differ between the two calls; every other argument is the same.
    given = [value for name, value in zip(compiled.names, fast, strict=True) if name not in defaulted]
    filled = {name: value for name, value in zip(compiled.names, fast, strict=True) if name in defaulted}

    assert given == [value for name, value in zip(compiled.names, constructed, strict=True) if name not in defaulted]
    assert {"created_at", "updated_at", "status"} <= set(filled)
    assert filled["status"] == "draft"
    assert isinstance(filled["created_at"], datetime)


def test_a_missing_parameter_is_refused_with_sqlalchemy_s_own_error():
    compiled = compile_read(select(Product.id).where(Product.store_id == bindparam("store_id")), asyncpg_dialect())

    with pytest.raises(InvalidRequestError, match="A value is required for bind parameter 'store_id'"):
        compiled.arguments({})

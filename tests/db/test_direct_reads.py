"""Direct reads (db/direct_reads.py): on PostgreSQL a query's statements built once run on the driver itself, and
answer what SQLAlchemy's execution of the same statements answers, byte for byte through the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_reads import DirectReads, compile_read
from db.models import Customer
from db.queries.customers import customers_by_ids
from db.session import create_engine
from tests.conftest import services_of
from tests.schema.test_compiled_execution import W1, W2, W3, headers_of, hot_requests
from tests.support.compiled_queries import Seeded, answer, seed_compiled

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
async def seeded(session: AsyncSession) -> Seeded:
    return await seed_compiled(session)


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

    # Filtered lists are built per request and run through SQLAlchemy; the rest ran here.
    assert reads.statements - direct_before >= len(hot_requests(seeded))


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

"""A query's statements on PostgreSQL run in autocommit (no BEGIN, no COMMIT); a mutation's, and every request's on
SQLite, run in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from asyncpg.transaction import Transaction
from fastapi import FastAPI
from sqlalchemy import event, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.session import single_statement_reads
from resolvers.core.context import RequestDatabase
from tests.conftest import services_of
from tests.support.factories import create_key, create_store

CUSTOMERS_QUERY = "{ customers(first: 5) { totalCount nodes { id } } }"
RENAME_STORE = 'mutation { updateStore(input: {name: "Renamed"}) { userErrors { code } } }'


@pytest.fixture
def transactions_begun(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Transactions the app's connections began during the test: asyncpg's on PostgreSQL, SQLite's BEGIN."""
    begun: list[str] = []
    original_start = Transaction.start

    async def start(transaction: Transaction) -> None:
        begun.append("BEGIN")
        await original_start(transaction)

    monkeypatch.setattr(Transaction, "start", start)
    engine = services_of(app).engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            begun.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield begun
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
async def headers(session: AsyncSession, client: httpx.AsyncClient) -> dict[str, str]:
    """A key that has made one request already (its lookup and its last use are written: they are not measured)."""
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    await _post(client, key.headers, CUSTOMERS_QUERY)
    return key.headers


async def _post(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200
    payload: dict[str, Any] = response.json()
    assert "errors" not in payload
    return payload


async def test_a_query_begins_no_transaction_on_postgresql_and_one_on_sqlite(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str], transactions_begun: list[str]
) -> None:
    transactions_begun.clear()
    await _post(client, headers, CUSTOMERS_QUERY)

    sqlite = services_of(app).engine.dialect.name == "sqlite"
    assert transactions_begun == (["BEGIN"] if sqlite else [])


async def test_a_mutation_runs_in_one_transaction(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str], transactions_begun: list[str]
) -> None:
    transactions_begun.clear()
    payload = await _post(client, headers, RENAME_STORE)

    assert payload["data"]["updateStore"]["userErrors"] == []
    sqlite = services_of(app).engine.dialect.name == "sqlite"
    assert transactions_begun == (["BEGIN IMMEDIATE"] if sqlite else ["BEGIN"])


async def test_a_read_only_request_refuses_to_write(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    database = RequestDatabase(sessionmaker, single_statement_reads(services_of(app).engine))
    database.reads_only()
    assert (await database.execute(select(literal(1)))).scalar_one() == 1

    with pytest.raises(RuntimeError, match="read-only"):
        async with database.writing():
            pass
    await database.finish(commit=True)


async def test_reads_only_after_the_transaction_began_keeps_the_transaction(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    database = RequestDatabase(sessionmaker, single_statement_reads(services_of(app).engine))
    async with database.writing() as session:
        assert (await session.execute(select(literal(2)))).scalar_one() == 2
    database.reads_only()

    async with database.writing() as session:  # still the request's writing transaction
        assert (await session.execute(select(literal(3)))).scalar_one() == 3
    await database.finish(commit=True)

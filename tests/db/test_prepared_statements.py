"""On PostgreSQL a hot read is prepared once per connection and then only executed (asyncpg's statement cache, for the
reads run on the driver, and the asyncpg dialect's, for those SQLAlchemy runs): the statements are the same text on
every request because they are built once with bound parameters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from storegraph.app import create_app
from tests.conftest import _migrate, app_settings, postgres_database, services_of
from tests.support.factories import create_customer, create_key, create_store


@pytest.fixture
async def one_connection_app() -> AsyncIterator[Any]:
    async with postgres_database("storegraph_prepared") as url:
        await _migrate(url)
        application = create_app(app_settings(url, db_pool_size=1))
        yield application
        await services_of(application).engine.dispose()


async def test_a_read_by_id_is_prepared_once_on_a_connection(
    one_connection_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with services_of(one_connection_app).sessionmaker() as session:
        store = await create_store(session)
        key = await create_key(session, store)
        customers = [await create_customer(session, store) for _ in range(3)]
        await session.commit()
    # Every statement asyncpg hands out, by text: a new one for each time the server prepared the text.
    statements: dict[str, set[int]] = defaultdict(set)
    original = asyncpg.Connection._get_statement

    async def get_statement(connection: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        statement = await original(connection, query, *args, **kwargs)
        statements[query].add(id(statement))
        return statement

    monkeypatch.setattr(asyncpg.Connection, "_get_statement", get_statement)
    transport = httpx.ASGITransport(app=one_connection_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as client:
        for customer in customers * 2:
            response = await client.get(f"/v1/customers/{customer.id}", headers=key.headers)
            assert response.status_code == 200

    customer_reads = [query for query in statements if "FROM customers" in query]
    assert len(customer_reads) == 1
    assert len(statements[customer_reads[0]]) == 1

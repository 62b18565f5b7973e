"""On PostgreSQL a hot read is prepared once per connection and then only executed (the asyncpg dialect's statement
cache): the statements are the same text on every request because they are built once with bound parameters."""

from __future__ import annotations

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
    prepared: list[str] = []
    original = asyncpg.Connection.prepare

    async def prepare(connection: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        prepared.append(query)
        return await original(connection, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "prepare", prepare)
    transport = httpx.ASGITransport(app=one_connection_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as client:
        for customer in customers * 2:
            response = await client.get(f"/v1/customers/{customer.id}", headers=key.headers)
            assert response.status_code == 200

    customer_reads = [query for query in prepared if "FROM customers" in query]
    assert len(customer_reads) == 1

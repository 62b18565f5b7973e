"""On PostgreSQL, a request that runs one mutation whose work takes either kind of transaction (creating a product)
runs it on the driver alone, on a connection its direct reads keep, without SQLAlchemy's session
(``RequestDatabase.mutating_on_driver``): the same answer, the same rules (a taken SKU, a taken slug), the store's
version raised by the database, nothing left behind by a mutation that fails or a request rolled back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, PendingRollbackError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Product, Store
from db.queries import store_versions
from db.queries.catalog import insert_product
from db.queries.store_versions import data_version
from resolvers.core import context as request_context
from resolvers.core.context import RequestDatabase
from tests.conftest import services_of
from tests.rest_compat.test_rest_read_connection import direct_statements, through_sqlalchemy
from tests.support.factories import Key, create_customer, create_key, create_order, create_product, create_store
from tests.support.rest_calls import data_of, writing

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

# What differs between two products created alike.
OWN = ("id", "name", "slug", "created_at", "updated_at")


@pytest.fixture
async def shop(session: AsyncSession, client: httpx.AsyncClient) -> tuple[Store, Key]:
    """A store and a key that made a write already (its last use is written, the idempotency store swept)."""
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    data_of(await client.post("/v1/products", json={"name": "First", "price": 100}, headers=writing(key)), 201)
    return store, key


@pytest.fixture
def sessions_opened(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many sessions the requests' databases opened."""
    opened: list[int] = []
    open_session = RequestDatabase._open_session

    def counted(self: RequestDatabase) -> Any:
        if self._session is None:
            opened.append(1)
        return open_session(self)

    monkeypatch.setattr(RequestDatabase, "_open_session", counted)
    return opened


def request_database(app: FastAPI) -> RequestDatabase:
    """A request's database as the GraphQL endpoint makes it, for a request of one mutation."""
    endpoint = app.state.graphql_endpoint
    database = RequestDatabase(endpoint.sessionmaker, endpoint.autocommit_reads, endpoint.direct_reads)
    database.one_mutation()
    return database


async def create(client: httpx.AsyncClient, key: Key, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/products", json=body, headers=writing(key))


async def version(app: FastAPI, store_id: int) -> int | None:
    async with services_of(app).sessionmaker() as reading:

        async def rows(prepared: Any, parameters: Any) -> Any:
            return (await reading.execute(prepared.statement, dict(parameters))).all()

        return await data_version(rows, store_id)


async def products_named(app: FastAPI, store_id: int, name: str) -> int:
    async with services_of(app).sessionmaker() as reading:
        found = await reading.execute(
            select(func.count()).select_from(Product).where(Product.store_id == store_id, Product.name == name)
        )
        return int(found.scalar_one())


async def test_creating_a_product_runs_on_the_driver_with_no_session(app, client, shop, sessions_opened):
    _, key = shop
    ran = direct_statements(app)

    before = ran()
    response = await create(client, key, {"name": "Tapis", "price": 1500})

    assert response.status_code == 201, response.text
    assert sessions_opened == []
    assert ran() - before == 1  # the insert, answered by its RETURNING


async def test_the_product_created_on_the_driver_answers_as_the_session_s_and_raises_the_version_alike(
    app, client, shop, sessions_opened
):
    store, key = shop

    first = await version(app, store.id)
    on_driver = await create(client, key, {"name": "On the driver", "price": 1500, "description": "Wool"})
    second = await version(app, store.id)
    with through_sqlalchemy(app):  # something listens to the statements: the session runs them
        in_session = await create(client, key, {"name": "In a session", "price": 1500, "description": "Wool"})
    third = await version(app, store.id)

    assert on_driver.status_code == in_session.status_code == 201
    assert len(sessions_opened) == 1
    driver_data, session_data = on_driver.json()["data"], in_session.json()["data"]
    assert {k: v for k, v in driver_data.items() if k not in OWN} == {
        k: v for k, v in session_data.items() if k not in OWN
    }
    assert (driver_data["slug"], session_data["slug"]) == ("on-the-driver", "in-a-session")
    assert first is not None
    assert (second, third) == (first + 1, first + 2)


async def test_a_taken_slug_is_numbered_on_the_driver(client, shop, sessions_opened):
    _, key = shop

    slugs = [data_of(await create(client, key, {"name": "Tapis", "price": 1500}), 201)["slug"] for _ in range(3)]

    assert slugs == ["tapis", "tapis-2", "tapis-3"]
    assert sessions_opened == []


async def test_a_taken_sku_on_the_driver_is_a_conflict_that_leaves_nothing_and_the_next_write_works(
    app, client, session, shop, sessions_opened
):
    store, key = shop
    await create_product(session, store, sku="SKU-TAKEN")
    await session.commit()

    refused = await create(client, key, {"name": "Twin", "price": 1500, "sku": "SKU-TAKEN"})
    after = await create(client, key, {"name": "Next", "price": 1500})

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "conflict"
    assert await products_named(app, store.id, "Twin") == 0
    assert after.status_code == 201, after.text
    assert sessions_opened == []


async def test_a_unique_violation_on_the_driver_is_sqlalchemy_s_integrity_error(app, shop):
    store, _ = shop
    database = request_database(app)
    values = {"name": "Raced", "price": 1500, "status": "draft", "sku": "SKU-RACED"}

    async def insert_twice() -> None:
        async with database.mutating_on_driver() as transaction:
            await insert_product(transaction, store.id, values)
            await insert_product(transaction, store.id, {**values, "name": "Raced again"})

    with pytest.raises(IntegrityError) as raised:
        await insert_twice()
    await database.finish(commit=True)

    assert "sku" in str(getattr(raised.value.orig, "__cause__", None))
    assert await products_named(app, store.id, "Raced") == 0  # the first insert went with the transaction


async def test_a_request_rolled_back_after_its_write_on_the_driver_leaves_nothing(app, shop):
    store, _ = shop
    database = request_database(app)

    async with database.mutating_on_driver() as transaction:
        await insert_product(transaction, store.id, {"name": "Undone", "price": 1500, "status": "draft"})
    await database.finish(commit=False)

    assert await products_named(app, store.id, "Undone") == 0
    again = await app.state.graphql_endpoint.direct_reads.connect()
    try:
        assert not again._driver.is_in_transaction()
    finally:
        await again.close()


async def test_a_connection_whose_database_does_not_raise_the_version_writes_through_the_session(
    app, client, shop, sessions_opened, monkeypatch
):
    store, key = shop
    # As a connection opened before migration 0015 sees it: the session then raises the version itself.
    monkeypatch.setattr(request_context, "raised_by_database", lambda _info: False)
    monkeypatch.setattr(store_versions, "raised_by_database", lambda _info: False)

    before = await version(app, store.id)
    response = await create(client, key, {"name": "Older connection", "price": 1500})

    assert response.status_code == 201, response.text
    assert sessions_opened == [1]
    # The session's upsert, and the trigger that is there all the same: twice, which no ETag minds.
    assert await version(app, store.id) == (before or 0) + 2


@pytest.mark.parametrize("moves", [["confirmed"], ["cancelled"], ["confirmed", "shipped", "delivered"]])
async def test_moving_an_order_runs_on_the_driver_with_no_session(app, client, session, shop, sessions_opened, moves):
    store, key = shop
    customer = await create_customer(session, store)
    order = await create_order(session, store, customer, [(await create_product(session, store), 2)])
    await session.commit()
    before = await version(app, store.id)

    answers = [
        await client.patch(f"/v1/orders/{order.id}", json={"status": status}, headers=writing(key)) for status in moves
    ]

    assert [answer.status_code for answer in answers] == [200] * len(moves), answers[-1].text
    assert answers[-1].json()["data"]["status"] == moves[-1]
    assert sessions_opened == []
    assert await version(app, store.id) == (before or 0) + len(moves)


async def test_a_commit_after_a_failed_statement_raises_and_keeps_nothing(app, shop):
    store, _ = shop
    database = request_database(app)
    values = {"name": "Kept?", "price": 1500, "status": "draft", "sku": "SKU-ONCE"}

    async with database.mutating_on_driver() as transaction:
        await insert_product(transaction, store.id, values)
        with pytest.raises(IntegrityError):  # caught, and the transaction not ended: the server aborted it
            await insert_product(transaction, store.id, {**values, "name": "Twice"})
    with pytest.raises(PendingRollbackError):
        await database.finish(commit=True)

    assert await products_named(app, store.id, "Kept?") == 0


async def test_a_connection_lost_in_a_driver_transaction_is_dropped_not_kept(app, client, shop):
    store, key = shop
    database = request_database(app)
    reads = app.state.graphql_endpoint.direct_reads

    async with database.mutating_on_driver() as transaction:
        await insert_product(transaction, store.id, {"name": "Lost", "price": 1500, "status": "draft"})
        backend = (await transaction.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with services_of(app).engine.connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    with pytest.raises(StatementError):  # SQLAlchemy's, whichever way the driver saw the loss
        await database.finish(commit=True)

    assert all(not driver.is_closed() for _pooled, driver in reads._idle)
    async with services_of(app).engine.connect() as pooled:  # none of the pool's connections is the dead one
        assert (await pooled.execute(text("SELECT 1"))).scalar_one() == 1
    assert (await create(client, key, {"name": "After the loss", "price": 1500})).status_code == 201


async def test_falling_back_to_the_session_gives_the_kept_connection_back_first(app, shop, monkeypatch):
    monkeypatch.setattr(request_context, "raised_by_database", lambda _info: False)
    database = request_database(app)

    async with database.mutating_on_driver() as transaction:
        holds_a_direct_connection = database._direct_connection is not None
    await database.finish(commit=False)

    assert isinstance(transaction, AsyncSession)
    assert not holds_a_direct_connection

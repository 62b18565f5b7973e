"""A write transaction's statements built once (``db.queries.executor.core_write``: the product's insert, the status
change's update and history, the outbox, the fraud score) run on asyncpg itself on PostgreSQL, where the engine's
listener that notices writes does not see them: they mark the transaction themselves, by the same rule, and a
savepoint rolled back takes their mark back. On SQLite, and while something listens to the engine's statements,
SQLAlchemy runs them, and the session's upsert at commit raises the store's version; on PostgreSQL the database's
trigger raises it at COMMIT, whoever ran the statements."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import db.queries.executor as executor
from db.models import Customer, Store
from db.queries.catalog import insert_product
from db.queries.customers import set_fraud_score
from db.queries.store_versions import work_for_store
from db.queries.webhooks import insert_outbox_event
from db.session import begin_write
from storegraph.platform.timestamps import utcnow
from tests.db.test_store_versions import statements_of, version
from tests.support.factories import create_customer, create_store


@pytest.fixture
async def store(sessions: async_sessionmaker[AsyncSession]) -> Store:
    async with sessions() as arranging:
        made = await create_store(arranging)
        await arranging.commit()
        return made


@pytest.fixture
async def customer_id(sessions: async_sessionmaker[AsyncSession], store: Store) -> int:
    async with sessions() as arranging:
        made = await create_customer(arranging, store)
        await arranging.commit()
        return made.id


async def writing(sessions: async_sessionmaker[AsyncSession], store: Store) -> AsyncSession:
    session = sessions()
    work_for_store(session, store.id)
    await begin_write(session)
    return session


async def fraud_score(engine: AsyncEngine, customer_id: int) -> int:
    async with engine.connect() as connection:
        found = await connection.execute(select(Customer.fraud_score).where(Customer.id == customer_id))
        return int(found.scalar_one())


async def test_a_write_on_the_driver_raises_the_store_s_version_with_no_statement_of_its_own(
    engine, sessions, store, customer_id, on_driver, database_url
):
    before = await version(engine, store.id) or 0

    session = await writing(sessions, store)
    async with session:
        await set_fraud_score(session, customer_id, 42)
        await session.commit()

    assert await fraud_score(engine, customer_id) == 42
    assert await version(engine, store.id) == before + 1
    if database_url.startswith("postgresql"):
        assert [sql.split()[:3] for sql in on_driver] == [["UPDATE", "customers", "SET"]]
    else:
        assert on_driver == []


async def test_a_write_on_the_driver_in_a_savepoint_rolled_back_raises_nothing(
    engine, sessions, store, customer_id, on_driver, database_url
):
    before = await version(engine, store.id) or 0

    session = await writing(sessions, store)
    async with session:
        savepoint = await session.begin_nested()
        await set_fraud_score(session, customer_id, 42)
        await savepoint.rollback()
        await session.commit()

    assert await fraud_score(engine, customer_id) == 0
    assert await version(engine, store.id) == before
    if database_url.startswith("postgresql"):
        assert [sql.split()[:2] for sql in on_driver] == [["UPDATE", "customers"]]  # and no upsert


async def test_a_write_before_a_savepoint_rolled_back_still_raises_the_version(engine, sessions, store, customer_id):
    before = await version(engine, store.id) or 0

    session = await writing(sessions, store)
    async with session:
        await set_fraud_score(session, customer_id, 7)
        savepoint = await session.begin_nested()
        await set_fraud_score(session, customer_id, 42)
        await savepoint.rollback()
        await session.commit()

    assert await fraud_score(engine, customer_id) == 7
    assert await version(engine, store.id) == before + 1


async def test_a_write_on_the_driver_in_a_savepoint_released_raises_the_version(engine, sessions, store, customer_id):
    before = await version(engine, store.id) or 0

    session = await writing(sessions, store)
    async with session:
        async with session.begin_nested():
            await set_fraud_score(session, customer_id, 42)
        await session.commit()

    assert await version(engine, store.id) == before + 1


async def test_a_write_of_bookkeeping_on_the_driver_raises_no_version(engine, sessions, store, on_driver, database_url):
    before = await version(engine, store.id) or 0

    session = await writing(sessions, store)
    async with session:
        await insert_outbox_event(
            session, store_id=store.id, public_id="evt_core_write", event="test.event", payload={}, created_at=utcnow()
        )
        await session.commit()

    assert await version(engine, store.id) == before
    if database_url.startswith("postgresql"):
        assert [sql.split()[:3] for sql in on_driver] == [["INSERT", "INTO", "outbox_events"]]


async def test_a_write_run_by_sqlalchemy_while_something_listens_raises_the_version_alike(
    engine, sessions, store, customer_id, on_driver, database_url
):
    before = await version(engine, store.id) or 0

    with statements_of(engine) as seen:
        session = await writing(sessions, store)
        async with session:
            await set_fraud_score(session, customer_id, 42)
            await session.commit()

    assert on_driver == []
    upsert = [] if database_url.startswith("postgresql") else [["INSERT", "INTO"]]  # the trigger's, at COMMIT
    assert [statement.split()[:2] for statement in seen if not statement.startswith(("BEGIN", "COMMIT"))] == [
        ["UPDATE", "customers"],
        *upsert,
    ]
    assert await version(engine, store.id) == before + 1


async def test_an_insert_on_the_driver_fills_the_python_defaults_of_the_columns_it_is_not_given(
    engine, sessions, store
):
    before = utcnow()
    session = await writing(sessions, store)
    async with session:
        row = await insert_product(session, store.id, {"name": "Tapis", "price": 1500})
        await session.commit()

    assert (row.track_stock, row.stock_quantity, row.low_stock_alert, row.status) == (False, 0, 5, "draft")
    assert row.created_at >= before
    assert row.updated_at >= before
    assert row.slug == "tapis"


async def test_an_integrity_error_on_the_driver_is_sqlalchemy_s_and_leaves_the_version(engine, sessions, store):
    session = await writing(sessions, store)
    async with session:
        await insert_product(session, store.id, {"name": "Tapis", "price": 1500, "sku": "TAP-1"})
        await session.commit()
    before = await version(engine, store.id)

    session = await writing(sessions, store)
    async with session:
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await insert_product(session, store.id, {"name": "Autre tapis", "price": 1500, "sku": "TAP-1"})
        await session.commit()

    assert await version(engine, store.id) == before


async def test_a_statement_run_on_the_session_s_connection_in_a_savepoint_is_undone_by_its_rollback(
    engine, sessions, store, customer_id
):
    """The session begins a savepoint on its connection when it is first asked for inside it: a statement that
    took the transaction's connection without asking would run outside the savepoint."""
    session = await writing(sessions, store)
    async with session:
        await executor.run_core(session, update(Customer).where(Customer.id == customer_id).values(fraud_score=7))
        savepoint = await session.begin_nested()
        await executor.run_core(session, update(Customer).where(Customer.id == customer_id).values(fraud_score=42))
        await savepoint.rollback()
        await session.commit()

    assert await fraud_score(engine, customer_id) == 7


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_write_on_the_driver_cancelled_is_cancelled_and_its_connection_dropped(
    sessions, store, customer_id, monkeypatch
):
    async def cancelled(_adapted: Any, _sql: str, _arguments: list[Any]) -> Any:
        raise asyncio.CancelledError

    session = await writing(sessions, store)
    async with session:
        connection = await session.connection()
        monkeypatch.setattr(executor, "_driver_fetch", cancelled)

        with pytest.raises(asyncio.CancelledError):
            await set_fraud_score(session, customer_id, 42)

        assert connection.invalidated

"""On PostgreSQL the database raises a store's data version itself, at COMMIT (migration 0015): every table of store
data has the trigger, a transaction raises each store it wrote once, whoever wrote it (a session, a Core
transaction of its own), a row without a store of its own raises its order's, and what no GET answers from (a key's
last use) raises nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import ApiKey, OrderStatusChange, Store
from db.queries.store_versions import work_for_store
from db.queries.write_marks import UNVERSIONED_TABLES
from storegraph.platform.timestamps import utcnow
from tests.db.test_store_versions import counters, raised, version
from tests.support.factories import create_customer, create_key, create_order, create_product, create_store

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

TRIGGER_FUNCTION = "storegraph_raise_store_version"


@pytest.fixture
async def store(session: AsyncSession) -> Store:
    made = await create_store(session)
    await session.commit()
    return made


def _tables() -> set[str]:
    metadata: MetaData = Store.metadata
    return set(metadata.tables)


async def _triggers(engine: AsyncEngine) -> list[tuple[str, bool, bool, bool]]:
    """Each trigger that runs the function: its table, whether it is deferrable, deferred at first, per row."""
    async with engine.connect() as connection:
        found = await connection.execute(
            text(
                "SELECT tgrelid::regclass::text, tgdeferrable, tginitdeferred, (tgtype & 1) = 1 FROM pg_trigger "
                "WHERE tgfoid = to_regproc(:function) AND NOT tgisinternal"
            ),
            {"function": TRIGGER_FUNCTION},
        )
        return [(str(table), *flags) for table, *flags in found.all()]


async def test_every_table_of_store_data_has_the_trigger_and_no_bookkeeping_table_has(engine: AsyncEngine):
    triggered = {table for table, *_flags in await _triggers(engine)}

    assert triggered == _tables() - UNVERSIONED_TABLES - {"store_versions"}


async def test_every_trigger_is_deferred_to_the_commit_and_runs_for_each_row(engine: AsyncEngine):
    triggers = await _triggers(engine)

    assert [
        table for table, deferrable, deferred, per_row in triggers if not (deferrable and deferred and per_row)
    ] == []


async def test_a_transaction_that_writes_several_rows_of_a_store_raises_it_once(engine, sessions, store):
    before = await counters(engine, store.id)

    async with sessions() as writing:
        work_for_store(writing, store.id)
        for _ in range(3):
            await create_customer(writing, store)
        await writing.commit()

    assert list((await raised(engine, store.id, before)).values()) == [1]


async def test_a_core_transaction_outside_any_session_raises_the_store_of_its_rows(engine, sessions, store):
    async with sessions() as arranging:
        customer = await create_customer(arranging, store)
        order = await create_order(arranging, store, customer, [(await create_product(arranging, store), 1)])
        await arranging.commit()
    before = await version(engine, store.id)

    async with engine.begin() as connection:  # no session: only the database can raise it
        await connection.execute(
            insert(OrderStatusChange).values(
                order_id=order.id, field="status", from_status="pending", to_status="confirmed", created_at=utcnow()
            )
        )

    assert await version(engine, store.id) == (before or 0) + 1


async def test_a_key_s_last_use_raises_nothing_and_its_renaming_raises_its_store(engine, sessions, store):
    async with sessions() as arranging:
        key = await create_key(arranging, store)
        await arranging.commit()
    before = await version(engine, store.id)

    async with engine.begin() as connection:
        await connection.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=utcnow()))
    used = await version(engine, store.id)
    async with engine.begin() as connection:
        await connection.execute(update(ApiKey).where(ApiKey.id == key.id).values(name="Renamed"))

    assert used == before
    assert await version(engine, store.id) == (before or 0) + 1


async def test_a_transaction_rolled_back_raises_nothing(engine, sessions, store):
    before = await counters(engine, store.id)

    async with sessions() as writing:
        await create_customer(writing, store)
        await writing.rollback()

    assert await raised(engine, store.id, before) == {}

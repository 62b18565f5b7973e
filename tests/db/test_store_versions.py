"""A store's data version is the sum of its counters per shard (db/queries/store_versions.py): a write raises the
counter of its connection's shard, never the store's own row, and the sum grows with every committed write,
whichever connection made it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.direct_reads import PreparedRead
from db.models import Store, StoreVersion
from db.queries.store_versions import data_version, work_for_store
from storegraph.platform.timestamps import utcnow
from tests.support.factories import create_customer, create_store

UPDATE_OF_STORES = re.compile(r"\s*UPDATE\s+stores\b", re.IGNORECASE)


@pytest.fixture
async def store(session: AsyncSession) -> Store:
    made = await create_store(session)
    await session.commit()
    return made


async def version(engine: AsyncEngine, store_id: int) -> int | None:
    async def rows(read: PreparedRead, parameters: Mapping[str, Any]) -> Sequence[Any]:
        async with engine.connect() as connection:
            return (await connection.execute(read.statement, dict(parameters))).all()

    return await data_version(rows, store_id)


async def current(engine: AsyncEngine, store_id: int) -> int:
    found = await version(engine, store_id)
    assert found is not None
    return found


async def counters(engine: AsyncEngine, store_id: int) -> dict[int, int]:
    async with engine.connect() as connection:
        found = await connection.execute(
            select(StoreVersion.shard, StoreVersion.version).where(StoreVersion.store_id == store_id)
        )
        return {int(shard): int(value) for shard, value in found.all()}


async def raised(engine: AsyncEngine, store_id: int, before: dict[int, int]) -> dict[int, int]:
    """By how much each shard's counter grew since ``before``."""
    after = await counters(engine, store_id)
    return {shard: value - before.get(shard, 0) for shard, value in after.items() if value != before.get(shard, 0)}


async def write(session: AsyncSession, store: Store) -> None:
    work_for_store(session, store.id)
    await create_customer(session, store)
    await session.commit()


@contextmanager
def statements_of(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def xmin_of(engine: AsyncEngine, store_id: int) -> str:
    async with engine.connect() as connection:
        found = await connection.execute(text("SELECT xmin::text FROM stores WHERE id = :id"), {"id": store_id})
        return str(found.scalar_one())


@pytest.mark.parametrize("for_the_store", [True, False], ids=["for_the_store", "for_every_store"])
async def test_a_write_raises_the_version_without_updating_the_stores_row(
    engine, sessions, store, database_url, for_the_store
):
    before = await version(engine, store.id)
    xmin = await xmin_of(engine, store.id) if database_url.startswith("postgresql") else None

    with statements_of(engine) as seen:
        async with sessions() as writing:
            if for_the_store:
                work_for_store(writing, store.id)
            await create_customer(writing, store)
            await writing.commit()

    assert [statement for statement in seen if UPDATE_OF_STORES.match(statement)] == []
    # PostgreSQL's trigger raises it in the COMMIT: the session sends no statement for it.
    raised_by_the_session = [statement for statement in seen if "store_versions" in statement]
    assert bool(raised_by_the_session) == database_url.startswith("sqlite")
    assert await version(engine, store.id) == (before or 0) + 1
    if xmin is not None:
        assert await xmin_of(engine, store.id) == xmin  # no new version of the row: nothing wrote it


async def test_writes_on_two_connections_raise_two_shards(engine, sessions, store):
    before = await counters(engine, store.id)

    async with sessions() as first, sessions() as second:
        await first.connection()
        await second.connection()  # both connections open at once: each has its own shard
        await write(first, store)
        await write(second, store)

    assert await raised(engine, store.id, before) == {0: 1, 1: 1}


async def test_the_version_grows_with_every_committed_write_whichever_connection_writes(engine, sessions, store):
    seen = [await current(engine, store.id)]
    before = await counters(engine, store.id)

    for _ in range(3):
        async with sessions() as first, sessions() as second:
            await first.connection()
            await second.connection()
            await write(first, store)
            seen.append(await current(engine, store.id))
            await write(second, store)
            seen.append(await current(engine, store.id))

    assert seen == sorted(set(seen)), seen  # strictly growing
    assert await raised(engine, store.id, before) == {0: 3, 1: 3}


async def test_a_rolled_back_savepoint_raises_no_version_and_a_later_write_does(engine, sessions, store):
    before = await version(engine, store.id)

    async with sessions() as writing:
        work_for_store(writing, store.id)
        savepoint = await writing.begin_nested()
        await create_customer(writing, store)
        await savepoint.rollback()
        await writing.commit()
    undone = await version(engine, store.id)

    async with sessions() as writing:
        await write(writing, store)

    assert undone == before
    assert await version(engine, store.id) == (before or 0) + 1


async def test_the_version_of_no_store_is_none_and_of_a_store_never_raised_zero(engine):
    now = utcnow()
    async with engine.begin() as connection:  # outside a session: raises nothing
        found = await connection.execute(
            insert(Store)
            .values(name="Never raised", slug=f"never-raised-{now.timestamp()}", created_at=now, updated_at=now)
            .returning(Store.id)
        )
        store_id = found.scalar_one()

    assert await version(engine, store_id) == 0
    assert await version(engine, store_id + 1_000_000) is None


async def test_connections_open_at_once_hold_different_shards_and_a_closed_ones_goes_to_the_next(engine):
    def shard(connection: Any) -> int:
        value: int = connection.info["storegraph_version_shard"]
        return value

    first, second, third = [await engine.connect() for _ in range(3)]
    try:
        assert [shard(first), shard(second), shard(third)] == [0, 1, 2]
        await second.invalidate()  # its database connection is closed
        await second.close()
        fourth = await engine.connect()
        try:
            assert shard(fourth) == 1
        finally:
            await fourth.close()
    finally:
        await first.close()
        await third.close()


async def test_a_session_working_for_a_store_that_is_gone_commits_and_raises_nothing_of_it(
    engine, sessions, store, database_url
):
    before = await counters(engine, store.id)
    missing = store.id + 1_000_000

    async with sessions() as writing:
        work_for_store(writing, missing)
        await create_customer(writing, store)
        await writing.commit()

    # SQLite's session raises the store it was told of; PostgreSQL's trigger the store of the rows it wrote.
    written_store_raised = await raised(engine, store.id, before) != {}
    assert written_store_raised == database_url.startswith("postgresql")
    assert await counters(engine, missing) == {}

"""Migration 0014 adds the store's counters per shard beside ``stores.data_version`` and folds them back into it: a
store's version, and so the ETags clients hold, never goes back, a process of the release before (which raises the
column) still raises the version the new release reads, and on SQLite no migration of ``stores`` takes the rows
that refer to a store with it (a copy of the table into a new one, with foreign keys on, deleted them). Migration
0015's triggers raise the version at COMMIT on PostgreSQL; a connection opened before they existed still raises it
itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.direct_reads import PreparedRead
from db.migrate import migrate_to
from db.models import Store
from db.queries.store_versions import data_version, work_for_store
from db.session import create_engine, create_sessionmaker
from tests.conftest import BACKENDS, postgres_database
from tests.support.factories import create_customer


@pytest.fixture(params=BACKENDS)
async def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database of the test's own, which it migrates itself."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'storegraph.db'}", pool_size=2)
        yield engine
        await engine.dispose()
        return
    async with postgres_database("storegraph_migration") as url:
        engine = create_engine(url, pool_size=2)
        yield engine
        await engine.dispose()


async def migrate(engine: AsyncEngine, revision: str, *, down: bool = False) -> None:
    await migrate_to(engine, revision, down=down)


async def scalar(engine: AsyncEngine, statement: str, **parameters: Any) -> Any:
    async with engine.begin() as connection:
        result = await connection.execute(text(statement), parameters)
        return result.scalar() if result.returns_rows else None


async def version(engine: AsyncEngine, store_id: int) -> int | None:
    async def rows(read: PreparedRead, parameters: Mapping[str, Any]) -> Sequence[Any]:
        async with engine.connect() as connection:
            return (await connection.execute(read.statement, dict(parameters))).all()

    return await data_version(rows, store_id)


async def old_store(engine: AsyncEngine) -> int:
    """A store made as the releases before the counters made them (plain SQL: their models may differ)."""
    made = await scalar(
        engine,
        "INSERT INTO stores (name, slug, currency, phone_region, plan, settings, metadata, created_at, updated_at) "
        "VALUES ('Old', 'old', 'DZD', 'DZ', 'free', '{}', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id",
    )
    return int(made)


async def test_the_versions_go_on_from_where_they_were_both_ways_and_no_row_goes(empty_engine):
    engine = empty_engine
    await migrate(engine, "0012")
    store_id = await old_store(engine)
    await scalar(
        engine,
        "INSERT INTO delivery_zones (store_id, name, home_fee, desk_fee, created_at, updated_at) "
        "VALUES (:store_id, 'North', 500, 300, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        store_id=store_id,
    )
    zones = "SELECT count(*) FROM delivery_zones WHERE store_id = :store_id"

    await migrate(engine, "0013")
    assert await scalar(engine, zones, store_id=store_id) == 1
    await scalar(engine, "UPDATE stores SET data_version = 41 WHERE id = :store_id", store_id=store_id)

    await migrate(engine, "head")
    await engine.dispose()  # this release's processes open their connections once it is migrated
    assert await version(engine, store_id) == 41
    assert await scalar(engine, zones, store_id=store_id) == 1
    # A process of the release before, still running during the rollout, raises the column: it counts.
    await scalar(engine, "UPDATE stores SET data_version = data_version + 1 WHERE id = :store_id", store_id=store_id)
    assert await version(engine, store_id) == 42
    await _write_for(engine, store_id)
    assert await version(engine, store_id) == 43

    await migrate(engine, "0013", down=True)
    assert await scalar(engine, "SELECT data_version FROM stores WHERE id = :store_id", store_id=store_id) == 43
    assert await scalar(engine, zones, store_id=store_id) == 1

    await migrate(engine, "head")
    assert await version(engine, store_id) == 43
    await migrate(engine, "0012", down=True)
    assert await scalar(engine, zones, store_id=store_id) == 1


async def _write_for(engine: AsyncEngine, store_id: int) -> None:
    async with create_sessionmaker(engine)() as writing:
        work_for_store(writing, store_id)
        store = await writing.get(Store, store_id)
        assert store is not None
        await create_customer(writing, store)
        await writing.commit()


async def test_a_connection_opened_before_the_triggers_migration_still_raises_the_version(empty_engine):
    engine = empty_engine
    await migrate(engine, "0014")
    store_id = await old_store(engine)
    await _write_for(engine, store_id)  # the pool's connection, opened before the triggers exist
    before = await version(engine, store_id)
    assert before == 1

    await migrate(engine, "head")
    await _write_for(engine, store_id)
    migrated = await version(engine, store_id)
    await engine.dispose()
    await _write_for(engine, store_id)

    # On PostgreSQL the old connection upserts and the trigger raises too: twice, which no ETag minds.
    assert migrated == before + (2 if engine.dialect.name == "postgresql" else 1)
    assert await version(engine, store_id) == migrated + 1

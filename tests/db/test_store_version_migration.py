"""The migrations of the store's data version, on a database that holds data: on SQLite no migration of ``stores``
takes the rows that refer to a store with it (a copy of the table into a new one, with foreign keys on, deleted
them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.migrate import alembic_config
from db.session import create_engine
from tests.conftest import BACKENDS, postgres_database


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
    step = command.downgrade if down else command.upgrade
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync_connection: step(alembic_config(sync_connection), revision))


async def scalar(engine: AsyncEngine, statement: str, **parameters: Any) -> Any:
    async with engine.begin() as connection:
        result = await connection.execute(text(statement), parameters)
        return result.scalar() if result.returns_rows else None


async def test_adding_and_dropping_the_version_column_keeps_the_rows_that_refer_to_a_store(empty_engine):
    engine = empty_engine
    await migrate(engine, "0012")
    store_id = await scalar(
        engine,
        "INSERT INTO stores (name, slug, currency, phone_region, plan, settings, metadata, created_at, updated_at) "
        "VALUES ('Old', 'old', 'DZD', 'DZ', 'free', '{}', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id",
    )
    await scalar(
        engine,
        "INSERT INTO delivery_zones (store_id, name, home_fee, desk_fee, created_at, updated_at) "
        "VALUES (:store_id, 'North', 500, 300, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        store_id=store_id,
    )
    zones = "SELECT count(*) FROM delivery_zones WHERE store_id = :store_id"

    await migrate(engine, "0013")
    assert await scalar(engine, zones, store_id=store_id) == 1
    assert await scalar(engine, "SELECT data_version FROM stores WHERE id = :store_id", store_id=store_id) == 0

    await migrate(engine, "0012", down=True)
    assert await scalar(engine, zones, store_id=store_id) == 1

"""A migration that rebuilds a table on SQLite (Alembic's batch mode copies it into a new table and drops the old
one) must not take with it the rows that refer to the old table with ``ON DELETE CASCADE``: migrations run with
SQLite's foreign keys off, and a check of every reference after them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.migrate import migrate_to, sqlite_pragma
from db.session import create_engine


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'storegraph.db'}", pool_size=2)
    yield engine
    await engine.dispose()


async def run(engine: AsyncEngine, statement: str) -> int:
    async with engine.begin() as connection:
        result = await connection.execute(text(statement))
        return int(result.scalar() or 0) if result.returns_rows else 0


async def a_tagged_customer(engine: AsyncEngine) -> None:
    await run(
        engine,
        "INSERT INTO stores (id, name, slug, currency, phone_region, plan, settings, metadata, created_at, updated_at) "
        "VALUES (1, 'Old', 'old', 'DZD', 'DZ', 'free', '{}', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    await run(
        engine,
        "INSERT INTO customers (id, store_id, first_name, last_name, phone, total_orders, total_spent, fraud_score, "
        "is_banned, created_at, updated_at) "
        "VALUES (1, 1, 'Amine', 'B', '+213550000001', 0, 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    await run(
        engine,
        "INSERT INTO customer_tags (customer_id, name_key, store_id, name, created_at) "
        "VALUES (1, 'vip', 1, 'VIP', CURRENT_TIMESTAMP)",
    )


async def test_rebuilding_customers_keeps_the_rows_that_refer_to_them(sqlite_engine: AsyncEngine) -> None:
    await migrate_to(sqlite_engine, "0011")
    await a_tagged_customer(sqlite_engine)

    await migrate_to(sqlite_engine, "0012")  # adds columns to customers by a copy of the table
    assert await run(sqlite_engine, "SELECT count(*) FROM customer_tags") == 1

    await migrate_to(sqlite_engine, "0011", down=True)
    assert await run(sqlite_engine, "SELECT count(*) FROM customer_tags") == 1


async def test_foreign_keys_are_on_again_after_a_migration(sqlite_engine: AsyncEngine) -> None:
    await migrate_to(sqlite_engine, "head")
    assert await run(sqlite_engine, "PRAGMA foreign_keys") == 1


async def test_a_migration_that_leaves_a_broken_reference_is_refused(sqlite_engine: AsyncEngine) -> None:
    await migrate_to(sqlite_engine, "0011")
    await a_tagged_customer(sqlite_engine)
    async with sqlite_engine.connect() as connection:
        await connection.run_sync(sqlite_pragma, "PRAGMA foreign_keys=OFF")
        await connection.execute(text("DELETE FROM customers"))
        await connection.commit()
        await connection.run_sync(sqlite_pragma, "PRAGMA foreign_keys=ON")

    with pytest.raises(RuntimeError, match="customer_tags"):
        await migrate_to(sqlite_engine, "0012")
    assert await run(sqlite_engine, "SELECT count(*) FROM alembic_version WHERE version_num = '0011'") == 1

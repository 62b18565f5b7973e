"""The migrations, not the models, build production databases: they must produce exactly the models' schema."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from db.base import Base
from db.migrate import current_revision, head_revision
from db.session import create_engine


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_database_matches_the_models(database_url):
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()

    assert differences == []


async def test_migrated_database_is_at_the_head_revision(database_url):
    engine = create_engine(database_url, pool_size=1)
    try:
        revision = await current_revision(engine)
    finally:
        await engine.dispose()

    assert revision == head_revision()

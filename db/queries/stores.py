from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Store
from db.queries.executor import Executor
from db.queries.slugs import insert_with_free_slug, slugify, unique_constraint

# The column holds 120: room for a numbered or random suffix after the slug of a name.
MAX_STORE_SLUG_BASE = 100
SLUG_CONSTRAINT = unique_constraint(Store, "slug")

STORE_COLUMNS = (
    Store.id,
    Store.name,
    Store.slug,
    Store.currency,
    Store.phone_region,
    Store.plan,
    Store.settings,
    Store.metadata_.label("metadata"),
    Store.created_at,
    Store.updated_at,
)


async def get_store(db: Executor, store_id: int) -> Row[Any] | None:
    result = await db.execute(select(*STORE_COLUMNS).where(Store.id == store_id))
    return result.first()


# --- writes ---


async def create_store(session: AsyncSession, *, name: str, plan: str) -> Store:
    """A new store with a slug of its name, numbered when another store has it (slugs are unique across stores)."""
    return await insert_with_free_slug(
        session,
        lambda slug: Store(name=name, plan=plan, slug=slug, settings={}, metadata_={}),
        slug_column=Store.slug,
        scope=(),
        wanted=slugify(name, max_length=MAX_STORE_SLUG_BASE) or "store",
        constraint=SLUG_CONSTRAINT,
    )


async def lock_store(session: AsyncSession, store_id: int) -> Store | None:
    """The store as an ORM entity, locked until the transaction ends; ``None`` if there is none."""
    # Locked, so that two concurrent merges both land instead of the second overwriting the first.
    stmt = select(Store).where(Store.id == store_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def marked_store_ids(session: AsyncSession, *, name: str, marker: str) -> list[int]:
    """The stores called ``name`` whose metadata holds ``marker`` set to true (the ones a tool made and owns)."""
    rows = await session.execute(select(Store.id, Store.metadata_).where(Store.name == name))
    return [int(row.id) for row in rows if (row.metadata_ or {}).get(marker) is True]


async def delete_stores(session: AsyncSession, store_ids: list[int]) -> None:
    """Deletes the stores with everything they own (every table's ``store_id`` cascades on delete)."""
    if store_ids:
        await session.execute(delete(Store).where(Store.id.in_(store_ids)))

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Store
from db.queries.executor import Executor

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


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "store"


async def create_store(session: AsyncSession, *, name: str, plan: str) -> Store:
    base = slugify(name)[:100]
    taken = await session.scalar(select(func.count()).select_from(Store).where(Store.slug.like(f"{base}%")))
    store = Store(name=name, plan=plan, slug=base if not taken else f"{base}-{taken + 1}", settings={}, metadata_={})
    session.add(store)
    await session.flush()
    return store

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

MAX_SLUG = 200


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_SLUG].strip("-")


async def free_slug(
    session: AsyncSession,
    *,
    slug_column: QueryableAttribute[str],
    store_column: QueryableAttribute[int],
    store_id: int,
    wanted: str,
    fallback: str,
) -> str:
    """``wanted`` if no row of the store has it, else ``wanted-2``, ``wanted-3``, ..."""
    base = wanted or fallback
    taken = set(
        (
            await session.execute(select(slug_column).where(store_column == store_id, slug_column.like(f"{base}%")))
        ).scalars()
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"

"""Customer tag statements: the tags of a level of customers in one statement, the store's tags with their counts,
and the rules' reads and writes of one customer's tags."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CustomerTag
from db.queries.by_ids import prepared_by_ids
from db.queries.executor import Executor, fetch_rows


async def tags_for_customers(db: Executor, store_id: int, customer_ids: list[int]) -> dict[int, list[str]]:
    """Each customer's tag names in the order of their keys (case-insensitive alphabetical); a customer without
    tags is absent."""
    if not customer_ids:
        return {}
    tags: dict[int, list[str]] = defaultdict(list)
    for row in await fetch_rows(db, _TAGS_OF_CUSTOMERS, {"store_id": store_id, "ids": customer_ids}):
        tags[int(row.customer_id)].append(row.name)
    return dict(tags)


_TAGS_OF_CUSTOMERS = prepared_by_ids(
    lambda chosen: (
        select(CustomerTag.customer_id, CustomerTag.name)
        .where(CustomerTag.store_id == bindparam("store_id"), chosen)
        .order_by(CustomerTag.customer_id, CustomerTag.name_key)
    ),
    CustomerTag.customer_id,
)


async def store_tag_counts(db: Executor, store_id: int) -> list[Row[Any]]:
    """``(name, count)`` of every tag of the store, by key. Spellings that differ in case are one tag, named by the
    first of them in code-point order (``VIP`` before ``vip``)."""
    stmt = (
        select(func.min(CustomerTag.name).label("name"), func.count().label("count"))
        .where(CustomerTag.store_id == store_id)
        .group_by(CustomerTag.name_key)
        .order_by(CustomerTag.name_key)
    )
    return list((await db.execute(stmt)).all())


async def customer_tag_keys(session: AsyncSession, customer_id: int) -> dict[str, str]:
    """One customer's tags: key → name."""
    stmt = select(CustomerTag.name_key, CustomerTag.name).where(CustomerTag.customer_id == customer_id)
    return {row.name_key: row.name for row in (await session.execute(stmt)).all()}


async def insert_customer_tags(
    session: AsyncSession, store_id: int, customer_id: int, tags: Mapping[str, str], now: datetime
) -> None:
    """Adds ``tags`` (key → name), none of which the customer has yet (the caller holds the customer's lock)."""
    if not tags:
        return
    rows = [
        {"store_id": store_id, "customer_id": customer_id, "name_key": key, "name": name, "created_at": now}
        for key, name in tags.items()
    ]
    await session.execute(insert(CustomerTag), rows)


async def delete_customer_tags(session: AsyncSession, customer_id: int, keys: Iterable[str]) -> None:
    keys = list(keys)
    if keys:
        await session.execute(
            delete(CustomerTag).where(CustomerTag.customer_id == customer_id, CustomerTag.name_key.in_(keys))
        )

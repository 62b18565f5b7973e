"""Customer tag statements: the tags of a level of customers in one statement (or as a column of the customers' own
statement, ``TAG_NAMES``), the store's tags with their counts, and the rules' reads and writes of one customer's
tags."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Row, String, bindparam, delete, func, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from db.models import Customer, CustomerTag
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


class _TagList(TypeDecorator[list[str]]):
    """The names ``_TagNames`` answers: PostgreSQL's array is a list already (the driver decodes it), SQLite's is
    a JSON array decoded here."""

    impl = String
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        # None on PostgreSQL: a read on the driver then converts nothing per row for this column.
        return None if dialect.name == "postgresql" else orjson.loads


class _TagNames(FunctionElement[list[str]]):
    """A customer's tag names, of the one scalar subquery it is given (the names, in their order), as one value:
    ``ARRAY(subquery)`` on PostgreSQL, a JSON array aggregated over the subquery's ordered rows elsewhere (SQLite
    aggregates them in the order the subquery gives them: a subquery with ORDER BY is not flattened into an
    aggregate)."""

    name = "tag_names"
    inherit_cache = True
    type = _TagList()


@compiles(_TagNames, "postgresql")
def _tag_names_array(element: _TagNames, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ARRAY{compiler.process(element.clauses, **kw)}"


@compiles(_TagNames)
def _tag_names_json(element: _TagNames, compiler: SQLCompiler, **kw: Any) -> str:
    # Only the compiled subquery goes into the text, never a value: its values are bound parameters.
    return f"(SELECT json_group_array(name) FROM {compiler.process(element.clauses, **kw)})"  # noqa: S608


# A customer's tag names as a column of a statement that reads customers, in the order ``tags_for_customers``
# answers them (its ORDER BY), an empty list for none: the customer's tags without a statement of their own.
TAG_NAMES: ColumnElement[list[str]] = _TagNames(
    select(CustomerTag.name)
    .where(CustomerTag.store_id == bindparam("store_id"), CustomerTag.customer_id == Customer.id)
    .order_by(CustomerTag.name_key)
    .scalar_subquery()
).label("tags")


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

"""Bulk inserts: many rows of one table per statement, for loading data (the demo store)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base


def table_of(model: type[Base]) -> Table:
    # Core inserts on the table, not ORM bulk inserts on the class: the ORM splits a batch into one statement
    # per distinct set of None-valued columns, which turns thousands of rows into thousands of statements.
    return Base.metadata.tables[model.__tablename__]


async def insert_rows(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT (executemany) of ``rows``."""
    if rows:
        await session.execute(insert(table_of(model)), rows)


async def insert_returning_ids(
    session: AsyncSession, model: type[Base], rows: list[dict[str, Any]], *, key: str
) -> list[int]:
    """Inserts ``rows`` and returns their ids in the same order, matched through ``key``, unique within the store.

    RETURNING gives no row order on SQLite, and asking SQLAlchemy for one (``sort_by_parameter_order``) makes it
    insert row by row there; matching on a unique column keeps the batched multi-row INSERT on both databases.
    """
    table = table_of(model)
    result = await session.execute(insert(table).returning(table.c[key], table.c.id), rows)
    ids = {row_key: int(row_id) for row_key, row_id in result.all()}
    return [ids[row[key]] for row in rows]

"""Customer address book statements: the reads of whole books for a level of customers, and the writes the rules
make while they hold the customer's row (storegraph/rules/customers/addresses.py)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CustomerAddress
from db.queries.executor import Executor
from storegraph.platform.timestamps import utcnow

ADDRESS_COLUMNS = tuple(CustomerAddress.__table__.c)
# A book reads default first, then newest first.
BOOK_ORDER = (CustomerAddress.is_default.desc(), CustomerAddress.created_at.desc(), CustomerAddress.id.desc())


async def addresses_for_customers(db: Executor, store_id: int, customer_ids: list[int]) -> dict[int, list[Row[Any]]]:
    """The books of many customers in one statement, each in book order."""
    stmt = (
        select(*ADDRESS_COLUMNS)
        .where(CustomerAddress.store_id == store_id, CustomerAddress.customer_id.in_(customer_ids))
        .order_by(CustomerAddress.customer_id, *BOOK_ORDER)
    )
    books: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in (await db.execute(stmt)).all():
        books[row.customer_id].append(row)
    return books


async def addresses_by_ids(db: Executor, store_id: int, ids: list[int]) -> list[Row[Any]]:
    stmt = select(*ADDRESS_COLUMNS).where(CustomerAddress.store_id == store_id, CustomerAddress.id.in_(ids))
    return list((await db.execute(stmt)).all())


async def address_row(session: AsyncSession, store_id: int, address_id: int) -> Row[Any] | None:
    """One address of the store (``None`` for an unknown id or another store's)."""
    return (
        await session.execute(
            select(*ADDRESS_COLUMNS).where(CustomerAddress.id == address_id, CustomerAddress.store_id == store_id)
        )
    ).one_or_none()


async def count_addresses(session: AsyncSession, customer_id: int) -> int:
    stmt = select(func.count()).select_from(CustomerAddress).where(CustomerAddress.customer_id == customer_id)
    return int((await session.execute(stmt)).scalar_one())


async def insert_address(session: AsyncSession, store_id: int, customer_id: int, values: dict[str, Any]) -> int:
    now = utcnow()
    stmt = (
        insert(CustomerAddress)
        .values(store_id=store_id, customer_id=customer_id, created_at=now, updated_at=now, **values)
        .returning(CustomerAddress.id)
    )
    return int((await session.execute(stmt)).scalar_one())


async def update_address_fields(session: AsyncSession, address_id: int, values: dict[str, Any]) -> None:
    if values:
        stmt = update(CustomerAddress).where(CustomerAddress.id == address_id).values(updated_at=utcnow(), **values)
        await session.execute(stmt)


async def clear_default(session: AsyncSession, customer_id: int) -> None:
    """No address of the customer is the default any more: the first half of moving the default, since the
    database allows one at a time."""
    stmt = (
        update(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id, CustomerAddress.is_default.is_(True))
        .values(is_default=False, updated_at=utcnow())
    )
    await session.execute(stmt)


async def make_default(session: AsyncSession, address_id: int) -> None:
    await update_address_fields(session, address_id, {"is_default": True})


async def delete_address_row(session: AsyncSession, address_id: int) -> None:
    await session.execute(delete(CustomerAddress).where(CustomerAddress.id == address_id))


async def newest_address_id(session: AsyncSession, customer_id: int) -> int | None:
    stmt = (
        select(CustomerAddress.id)
        .where(CustomerAddress.customer_id == customer_id)
        .order_by(CustomerAddress.created_at.desc(), CustomerAddress.id.desc())
        .limit(1)
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    return None if found is None else int(found)

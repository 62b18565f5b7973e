"""Ledger statements: the customers' loyalty and house-account balances and their ledgers.

A balance column moves only by one conditional ``UPDATE ... RETURNING`` (the condition is the rule: enough points,
within the limit), which is atomic on both databases, in the same transaction as the ledger row that records the
change: concurrent changes queue on the customer's row and none is lost, and a crash leaves both or neither."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import class_mapper

from db.models import Customer, HouseAccountTransaction, LoyaltyTransaction
from db.queries.executor import Executor, WriteTransaction
from db.queries.pagination import Ordering
from storegraph.platform.timestamps import utcnow

LedgerModel = type[LoyaltyTransaction] | type[HouseAccountTransaction]
LedgerRow = LoyaltyTransaction | HouseAccountTransaction


def newest_first(model: LedgerModel) -> Ordering:
    return Ordering(
        name=f"{model.__tablename__}.created_at:desc",
        column=model.created_at,
        id_column=model.id,
        descending=True,
        kind=datetime,
    )


LOYALTY_NEWEST_FIRST = newest_first(LoyaltyTransaction)
HOUSE_ACCOUNT_NEWEST_FIRST = newest_first(HouseAccountTransaction)


BALANCE_COLUMNS = (
    Customer.loyalty_balance,
    Customer.is_loyalty_enabled,
    Customer.house_account_balance,
    Customer.house_account_limit,
    Customer.is_house_account_enabled,
)


async def customer_balances(session: AsyncSession, store_id: int, customer_id: int) -> Any:
    """The customer's ledger columns, to say why a conditional update changed nothing."""
    stmt = select(*BALANCE_COLUMNS).where(Customer.id == customer_id, Customer.store_id == store_id)
    return (await session.execute(stmt)).first()


async def lock_customer_balances(session: WriteTransaction, store_id: int, customer_id: int) -> Any:
    """``customer_balances`` under the customer's row lock (PostgreSQL; SQLite's write lock already serialises)."""
    stmt = select(*BALANCE_COLUMNS).where(Customer.id == customer_id, Customer.store_id == store_id).with_for_update()
    return (await session.execute(stmt)).first()


async def move_loyalty_balance(
    session: WriteTransaction, store_id: int, customer_id: int, delta: int, *, maximum: int, require_enabled: bool
) -> int | None:
    """Adds ``delta`` to the loyalty balance if the customer is the store's, has loyalty on (when required) and the
    balance stays within 0..``maximum``; the new balance, or ``None`` when nothing changed."""
    new_balance = Customer.loyalty_balance + delta
    conditions: list[ColumnElement[bool]] = [
        Customer.id == customer_id,
        Customer.store_id == store_id,
        new_balance >= 0,
        new_balance <= maximum,
    ]
    if require_enabled:
        conditions.append(Customer.is_loyalty_enabled.is_(True))
    stmt = (
        update(Customer)
        .where(*conditions)
        .values(loyalty_balance=new_balance, updated_at=utcnow())
        .returning(Customer.loyalty_balance)
    )
    balance = (await session.execute(stmt)).scalar_one_or_none()
    return None if balance is None else int(balance)


async def charge_house_account(
    session: AsyncSession, store_id: int, customer_id: int, amount: int, *, ceiling: int
) -> int | None:
    """Adds ``amount`` to what the customer owes if the house account is enabled and the new balance stays within
    its limit (no limit: within ``ceiling``); the new balance, or ``None`` when nothing changed."""
    new_balance = Customer.house_account_balance + amount
    stmt = (
        update(Customer)
        .where(
            Customer.id == customer_id,
            Customer.store_id == store_id,
            Customer.is_house_account_enabled.is_(True),
            or_(Customer.house_account_limit.is_(None), new_balance <= Customer.house_account_limit),
            new_balance <= ceiling,
        )
        .values(house_account_balance=new_balance, updated_at=utcnow())
        .returning(Customer.house_account_balance)
    )
    balance = (await session.execute(stmt)).scalar_one_or_none()
    return None if balance is None else int(balance)


async def credit_house_account(session: WriteTransaction, store_id: int, customer_id: int, amount: int) -> int | None:
    """Takes ``amount`` off what the customer owes if they owe at least that; the new balance, or ``None``."""
    stmt = (
        update(Customer)
        .where(
            Customer.id == customer_id,
            Customer.store_id == store_id,
            Customer.house_account_balance >= amount,
        )
        .values(house_account_balance=Customer.house_account_balance - amount, updated_at=utcnow())
        .returning(Customer.house_account_balance)
    )
    balance = (await session.execute(stmt)).scalar_one_or_none()
    return None if balance is None else int(balance)


async def add_ledger_entry(session: WriteTransaction, entry: LedgerRow) -> LedgerRow:
    """Inserts the entry (a unique (order, kind) already taken raises the constraint's ``IntegrityError``); the
    entry then holds every column as inserted (its id, its defaults)."""
    if isinstance(session, AsyncSession):
        session.add(entry)
        await session.flush()
        return entry
    # A transaction on the driver has no unit of work: the entry's columns given, inserted by Core alike.
    model = type(entry)
    attributes = class_mapper(model).column_attrs
    given = {
        attribute.columns[0].key: entry.__dict__[attribute.key]
        for attribute in attributes
        if attribute.key in entry.__dict__
    }
    row = (await session.execute(insert(model).values(given).returning(*model.__table__.c))).one()
    for attribute in attributes:
        setattr(entry, attribute.key, getattr(row, attribute.columns[0].key))
    return entry


async def ledger_entry_exists(session: WriteTransaction, model: LedgerModel, order_id: int, kind: str) -> bool:
    stmt = select(model.id).where(model.order_id == order_id, model.kind == kind)
    return (await session.execute(stmt)).first() is not None


async def ledger_entries_by_ids(db: Executor, model: LedgerModel, store_id: int, ids: list[int]) -> list[Row[Any]]:
    stmt = select(*model.__table__.c).where(model.store_id == store_id, model.id.in_(ids))
    return list((await db.execute(stmt)).all())


async def ledger_pages_for_customers(
    db: Executor,
    model: LedgerModel,
    store_id: int,
    customer_ids: list[int],
    after: list[Any] | None,
    first: int,
) -> dict[int, list[Row[Any]]]:
    """Up to ``first + 1`` entries of each customer's ledger, newest first, in one query (a window per customer)."""
    ordering = newest_first(model)
    columns = tuple(model.__table__.c)
    position = func.row_number().over(partition_by=model.customer_id, order_by=ordering.order_by()).label("position")
    conditions = [model.store_id == store_id, model.customer_id.in_(customer_ids)]
    if after is not None:
        conditions.append(ordering.after(after))
    ranked = select(*columns, position).where(*conditions).subquery()
    stmt = (
        select(*(ranked.c[column.key] for column in columns))
        .where(ranked.c.position <= first + 1)
        .order_by(ranked.c.customer_id, ranked.c.position)
    )
    pages: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in (await db.execute(stmt)).all():
        pages[row.customer_id].append(row)
    return pages


async def ledger_counts_for_customers(
    db: Executor, model: LedgerModel, store_id: int, customer_ids: list[int]
) -> dict[int, int]:
    stmt = (
        select(model.customer_id, func.count().label("entries"))
        .where(model.store_id == store_id, model.customer_id.in_(customer_ids))
        .group_by(model.customer_id)
    )
    return {row.customer_id: row.entries for row in (await db.execute(stmt)).all()}

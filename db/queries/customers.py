"""Customer reads. ``device_fingerprint`` and ``identity_id`` are never selected, so they cannot leak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import QueryableAttribute

from db.models import Customer
from db.queries.executor import Executor
from db.queries.pagination import Ordering, page_query
from db.queries.text import contains_ci

CUSTOMER_COLUMNS = tuple(
    column for column in Customer.__table__.c if column.key not in {"device_fingerprint", "identity_id"}
)

CUSTOMER_ORDERINGS: dict[str, tuple[QueryableAttribute[Any], type]] = {
    "created_at": (Customer.created_at, datetime),
    "updated_at": (Customer.updated_at, datetime),
    "total_spent": (Customer.total_spent, int),
    "total_orders": (Customer.total_orders, int),
}


def customer_ordering(field: str, descending: bool) -> Ordering:
    column, kind = CUSTOMER_ORDERINGS[field]
    name = f"customers.{field}:{'desc' if descending else 'asc'}"
    return Ordering(name=name, column=column, id_column=Customer.id, descending=descending, kind=kind)


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    phone: str | None = None
    email: str | None = None
    search: str | None = None
    is_banned: bool | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.phone is not None:
            conditions.append(Customer.phone == self.phone)
        if self.email is not None:
            conditions.append(Customer.email == self.email)
        if self.search:
            columns = (Customer.first_name, Customer.last_name, Customer.email, Customer.phone)
            conditions.append(contains_ci(columns, self.search))
        if self.is_banned is not None:
            conditions.append(Customer.is_banned == self.is_banned)
        return conditions


async def list_customers(
    db: Executor,
    store_id: int,
    where: CustomerFilter,
    ordering: Ordering,
    after: list[Any] | None,
    first: int,
) -> list[Row[Any]]:
    stmt = select(*CUSTOMER_COLUMNS).where(Customer.store_id == store_id, *where.conditions())
    return list((await db.execute(page_query(stmt, ordering, after, first))).all())


async def count_customers(db: Executor, store_id: int, where: CustomerFilter) -> int:
    stmt = select(func.count()).select_from(Customer).where(Customer.store_id == store_id, *where.conditions())
    return int((await db.execute(stmt)).scalar_one())


async def customers_by_ids(db: Executor, store_id: int, ids: list[int]) -> list[Row[Any]]:
    stmt = select(*CUSTOMER_COLUMNS).where(Customer.store_id == store_id, Customer.id.in_(ids))
    return list((await db.execute(stmt)).all())

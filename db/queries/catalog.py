from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import QueryableAttribute

from db.models import LandingPage, Product
from db.queries.executor import Executor
from db.queries.pagination import Ordering, page_query
from db.queries.text import contains_ci

PRODUCT_COLUMNS = tuple(Product.__table__.c)

PRODUCT_ORDERINGS: dict[str, tuple[QueryableAttribute[Any], type]] = {
    "created_at": (Product.created_at, datetime),
    "updated_at": (Product.updated_at, datetime),
    "price": (Product.price, int),
}


def product_ordering(field: str, descending: bool) -> Ordering:
    column, kind = PRODUCT_ORDERINGS[field]
    name = f"products.{field}:{'desc' if descending else 'asc'}"
    return Ordering(name=name, column=column, id_column=Product.id, descending=descending, kind=kind)


@dataclass(frozen=True, slots=True)
class ProductFilter:
    status: str | None = None
    search: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.status is not None:
            conditions.append(Product.status == self.status)
        if self.search:
            conditions.append(contains_ci((Product.name, Product.sku, Product.description), self.search))
        return conditions


async def list_products(
    db: Executor, store_id: int, where: ProductFilter, ordering: Ordering, after: list[Any] | None, first: int
) -> list[Row[Any]]:
    stmt = select(*PRODUCT_COLUMNS).where(Product.store_id == store_id, *where.conditions())
    return list((await db.execute(page_query(stmt, ordering, after, first))).all())


async def count_products(db: Executor, store_id: int, where: ProductFilter) -> int:
    stmt = select(func.count()).select_from(Product).where(Product.store_id == store_id, *where.conditions())
    return int((await db.execute(stmt)).scalar_one())


async def products_by_ids(db: Executor, store_id: int, ids: list[int]) -> list[Row[Any]]:
    stmt = select(*PRODUCT_COLUMNS).where(Product.store_id == store_id, Product.id.in_(ids))
    return list((await db.execute(stmt)).all())


LANDING_PAGE_COLUMNS = tuple(LandingPage.__table__.c)
NEWEST_LANDING_PAGES = Ordering(
    name="landing_pages.created_at:desc",
    column=LandingPage.created_at,
    id_column=LandingPage.id,
    descending=True,
    kind=datetime,
)


@dataclass(frozen=True, slots=True)
class LandingPageFilter:
    status: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        return [LandingPage.status == self.status] if self.status is not None else []


async def list_landing_pages(
    db: Executor, store_id: int, where: LandingPageFilter, after: list[Any] | None, first: int
) -> list[Row[Any]]:
    stmt = select(*LANDING_PAGE_COLUMNS).where(LandingPage.store_id == store_id, *where.conditions())
    return list((await db.execute(page_query(stmt, NEWEST_LANDING_PAGES, after, first))).all())


async def count_landing_pages(db: Executor, store_id: int, where: LandingPageFilter) -> int:
    stmt = select(func.count()).select_from(LandingPage).where(LandingPage.store_id == store_id, *where.conditions())
    return int((await db.execute(stmt)).scalar_one())


async def landing_pages_by_ids(db: Executor, store_id: int, ids: list[int]) -> list[Row[Any]]:
    stmt = select(*LANDING_PAGE_COLUMNS).where(LandingPage.store_id == store_id, LandingPage.id.in_(ids))
    return list((await db.execute(stmt)).all())

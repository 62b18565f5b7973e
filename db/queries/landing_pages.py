from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select

from db.models import LandingPage
from db.queries.executor import Executor
from db.queries.pagination import Ordering, page_query

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

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from db.queries.landing_pages import (
    NEWEST_LANDING_PAGES,
    LandingPageFilter,
    count_landing_pages,
    landing_pages_by_ids,
    list_landing_pages,
)
from domain.errors import NotFound
from resolvers.ids import parse_id
from resolvers.pagination import check_first, decode_after, make_page
from schema import inputs
from schema.connections import PageSource
from schema.context import Context

LANDING_PAGES_LIST = "landing_pages"


async def landing_pages_page(
    context: Context, first: int, after: str | None, where: inputs.LandingPageFilter | None
) -> PageSource:
    check_first(first)
    position = decode_after(context, LANDING_PAGES_LIST, NEWEST_LANDING_PAGES, after)
    condition = LandingPageFilter(status=where.status.value if where and where.status is not None else None)
    rows = await list_landing_pages(context.db, context.store_id, condition, position, first)
    return make_page(
        context,
        LANDING_PAGES_LIST,
        NEWEST_LANDING_PAGES,
        rows,
        first,
        position,
        lambda: count_landing_pages(context.db, context.store_id, condition),
    )


async def get_landing_page(context: Context, raw_id: str) -> Row[Any]:
    page_id = parse_id(raw_id)
    rows = await landing_pages_by_ids(context.db, context.store_id, [page_id])
    if not rows:
        raise NotFound("Landing page", page_id)
    return rows[0]

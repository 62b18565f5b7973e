from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.queries.catalog import (
    NEWEST_LANDING_PAGES,
    LandingPageFilter,
    ProductFilter,
    count_landing_pages,
    count_products,
    landing_pages_by_ids,
    list_landing_pages,
    list_products,
    products_by_ids,
)
from db.queries.executor import Executor
from db.queries.pagination import Ordering
from resolvers.core.context import Context
from resolvers.core.loaders import by_id, load_at_once
from resolvers.core.pages import PageSource
from resolvers.core.pagination import check_first, decode_after, make_page
from storegraph.platform.errors import NotFound
from storegraph.platform.ids import parse_id

PRODUCTS_LIST = "products"


async def products_page(
    context: Context,
    first: int,
    after: str | None,
    condition: ProductFilter,
    ordering: Ordering,
) -> PageSource:
    check_first(first)
    position = decode_after(context, PRODUCTS_LIST, ordering, after)
    rows = await list_products(context.db, context.store_id, condition, ordering, position, first)
    return make_page(
        context,
        PRODUCTS_LIST,
        ordering,
        rows,
        first,
        position,
        lambda: count_products(context.db, context.store_id, condition),
    )


async def get_product(context: Context, raw_id: str, *, at_once: bool = False) -> Row[Any]:
    """``at_once``: loaded without waiting for other loads to batch with (``load_at_once``)."""
    product_id = parse_id(raw_id)
    loader = context.loaders.get(ProductByIdLoader)
    row = await (load_at_once(loader, product_id) if at_once else loader.load(product_id))
    if row is None:
        raise NotFound("Product", product_id)
    return row


LANDING_PAGES_LIST = "landing_pages"


async def landing_pages_page(
    context: Context, first: int, after: str | None, condition: LandingPageFilter
) -> PageSource:
    check_first(first)
    position = decode_after(context, LANDING_PAGES_LIST, NEWEST_LANDING_PAGES, after)
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


class ProductByIdLoader(DataLoader[int, Row[Any] | None]):
    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(ids: list[int]) -> list[Row[Any] | None]:
            return by_id(await products_by_ids(db, store_id, ids), ids)

        super().__init__(load_fn=load)

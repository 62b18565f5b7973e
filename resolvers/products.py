from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from db.queries.products import ProductFilter, count_products, list_products, product_ordering
from domain.errors import NotFound
from resolvers.filters import filter_text
from resolvers.ids import parse_id
from resolvers.pagination import check_first, decode_after, make_page
from schema import inputs
from schema.connections import PageSource
from schema.context import Context
from schema.enums import SortDirection

PRODUCTS_LIST = "products"


async def products_page(
    context: Context,
    first: int,
    after: str | None,
    where: inputs.ProductFilter | None,
    sort: inputs.ProductSort | None,
) -> PageSource:
    check_first(first)
    sort = sort or inputs.ProductSort()
    ordering = product_ordering(sort.field.value, descending=sort.direction is SortDirection.DESC)
    position = decode_after(context, PRODUCTS_LIST, ordering, after)
    condition = ProductFilter(
        status=where.status.value if where and where.status is not None else None,
        search=filter_text("filter.search", where.search) if where else None,
    )
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


async def get_product(context: Context, raw_id: str) -> Row[Any]:
    product_id = parse_id(raw_id)
    row = await context.loaders.product_by_id.load(product_id)
    if row is None:
        raise NotFound("Product", product_id)
    return row

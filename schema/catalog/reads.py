"""The catalogue reads behind the schema's fields: each root field's body, and the batched loads compiled
execution (schema/core/compiled/) uses for a whole level of parents, answering exactly what the fields do."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Row

from resolvers.catalog import ProductByIdLoader, get_landing_page, get_product, landing_pages_page, products_page
from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from schema.catalog.inputs import (
    LandingPageFilter,
    ProductFilter,
    ProductSort,
    landing_page_condition,
    product_condition,
    product_ordering,
)
from schema.core.compiled.plan import BatchedField, loaded_by_id, root_field


async def products(
    context: Context,
    first: int = 50,
    after: str | None = None,
    filter: ProductFilter | None = None,
    sort: ProductSort | None = None,
) -> PageSource:
    return await products_page(context, first, after, product_condition(filter), product_ordering(sort))


async def product(context: Context, id: str, *, at_once: bool = False) -> Row[Any]:
    return await get_product(context, id, at_once=at_once)


async def landing_pages(
    context: Context, first: int = 50, after: str | None = None, filter: LandingPageFilter | None = None
) -> PageSource:
    return await landing_pages_page(context, first, after, landing_page_condition(filter))


async def landing_page(context: Context, id: str) -> Row[Any]:
    return await get_landing_page(context, id)


BATCHED: dict[str, BatchedField] = {
    # Each selection of a list, or of a landing page by id, runs its own statement; products by id are batched
    # by a DataLoader, which ``LandingPage.product`` shares.
    "Query.products": root_field(products, across_fields=False),
    "Query.product": root_field(partial(product, at_once=True), across_fields=True),
    "Query.landingPages": root_field(landing_pages, across_fields=False),
    "Query.landingPage": root_field(landing_page, across_fields=False),
    "LandingPage.product": loaded_by_id(ProductByIdLoader, "product_id"),
}

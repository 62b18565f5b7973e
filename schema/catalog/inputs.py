"""The product and landing page lists' filters and sort, and the plain query values they become."""

from __future__ import annotations

import strawberry

from db.queries import catalog
from db.queries.pagination import Ordering
from resolvers.core.filters import filter_text
from schema.core.enums import LandingPageStatus, ProductSortField, ProductStatus, SortDirection


@strawberry.input
class ProductFilter:
    status: ProductStatus | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of name, SKU or description."
    )


@strawberry.input
class ProductSort:
    field: ProductSortField = ProductSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class LandingPageFilter:
    status: LandingPageStatus | None = None


def product_ordering(sort: ProductSort | None) -> Ordering:
    sort = sort or ProductSort()
    return catalog.product_ordering(sort.field.value, descending=sort.direction is SortDirection.DESC)


def product_condition(where: ProductFilter | None) -> catalog.ProductFilter:
    return catalog.ProductFilter(
        status=where.status.value if where and where.status is not None else None,
        search=filter_text("filter.search", where.search) if where else None,
    )


def landing_page_condition(where: LandingPageFilter | None) -> catalog.LandingPageFilter:
    return catalog.LandingPageFilter(status=where.status.value if where and where.status is not None else None)

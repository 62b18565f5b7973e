from __future__ import annotations

from typing import cast

import strawberry

from resolvers.catalog import ProductByIdLoader
from resolvers.core.context import Info
from schema.core.enums import LandingPageStatus, ProductStatus
from schema.core.scalars import DateTime, Money


@strawberry.type(description="A catalogue product. Money is an integer amount of the store's currency (DZD).")
class Product:
    id: strawberry.ID
    name: str
    slug: str = strawberry.field(description="Derived from the name, unique per store.")
    description: str | None
    status: ProductStatus
    price: Money
    compare_price: Money | None
    cost_price: Money | None
    sku: str | None = strawberry.field(description="Unique per store when set.")
    track_stock: bool
    stock_quantity: int
    low_stock_alert: int = strawberry.field(description="`product.stock_low` fires when stock falls to it.")
    created_at: DateTime
    updated_at: DateTime


@strawberry.type
class LandingPage:
    id: strawberry.ID
    title: str
    slug: str
    product_id: strawberry.ID | None
    content: str | None
    status: LandingPageStatus
    created_at: DateTime
    updated_at: DateTime

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        if self.product_id is None:
            return None
        return cast("Product | None", await info.context.loaders.get(ProductByIdLoader).load(int(self.product_id)))

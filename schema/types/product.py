from __future__ import annotations

import strawberry

from schema.enums import ProductStatus
from schema.scalars import DateTime, Money


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

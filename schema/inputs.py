"""Filter and sort inputs of the list fields."""

from __future__ import annotations

import strawberry

from schema.enums import (
    CustomerSortField,
    LandingPageStatus,
    OrderSortField,
    OrderStatus,
    PaymentStatus,
    ProductSortField,
    ProductStatus,
    SortDirection,
)
from schema.scalars import DateTime


@strawberry.input(description="All given conditions must hold.")
class CustomerFilter:
    phone: str | None = strawberry.field(
        default=None, description="Exact match after normalisation: 0555 00 00 00 finds +213555000000."
    )
    email: str | None = strawberry.field(default=None, description="Exact, case-sensitive match.")
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of first name, last name, email or phone."
    )
    is_banned: bool | None = None


@strawberry.input
class CustomerSort:
    field: CustomerSortField = CustomerSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class OrderFilter:
    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    since: DateTime | None = strawberry.field(default=None, description="Orders created at or after this time.")
    customer_id: strawberry.ID | None = None


@strawberry.input
class OrderSort:
    field: OrderSortField = OrderSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


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


__all__ = [
    "CustomerFilter",
    "CustomerSort",
    "LandingPageFilter",
    "OrderFilter",
    "OrderSort",
    "ProductFilter",
    "ProductSort",
]

"""GraphQL enums: the domain's value sets, plus sort fields and directions."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain import statuses

OrderStatus = strawberry.enum(statuses.OrderStatus)
PaymentStatus = strawberry.enum(statuses.PaymentStatus)
PaymentMethod = strawberry.enum(statuses.PaymentMethod)
DeliveryType = strawberry.enum(statuses.DeliveryType)
ProductStatus = strawberry.enum(statuses.ProductStatus)
LandingPageStatus = strawberry.enum(statuses.LandingPageStatus)


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.enum
class CustomerSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    TOTAL_SPENT = "total_spent"
    TOTAL_ORDERS = "total_orders"


@strawberry.enum
class OrderSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    TOTAL = "total"


@strawberry.enum
class ProductSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    PRICE = "price"

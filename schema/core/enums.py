"""GraphQL enums: the domain's own value sets (registered with strawberry here), plus sort fields and directions.

The domain enums are used directly, so a value read from the database (``"pending"``) serialises as the
GraphQL name (``PENDING``) with no conversion code in between.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.rules.statuses import (
    DeliveryType,
    Gender,
    HouseAccountTransactionKind,
    LandingPageStatus,
    LoyaltyTransactionKind,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    ProductStatus,
)

for _domain_enum in (
    OrderStatus,
    PaymentStatus,
    PaymentMethod,
    DeliveryType,
    ProductStatus,
    LandingPageStatus,
    Gender,
    LoyaltyTransactionKind,
    HouseAccountTransactionKind,
):
    strawberry.enum(_domain_enum)
strawberry.enum(KeyType, name="ApiKeyType")
strawberry.enum(KeyEnv, name="ApiKeyEnv")


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
    LAST_ORDER_AT = "last_order_at"
    FIRST_NAME = "first_name"


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


__all__ = [
    "CustomerSortField",
    "DeliveryType",
    "Gender",
    "HouseAccountTransactionKind",
    "KeyEnv",
    "KeyType",
    "LandingPageStatus",
    "LoyaltyTransactionKind",
    "OrderSortField",
    "OrderStatus",
    "PaymentMethod",
    "PaymentStatus",
    "ProductSortField",
    "ProductStatus",
    "SortDirection",
]

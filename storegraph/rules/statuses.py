"""The closed sets of values the domain uses; GraphQL exposes them as enums, REST as their lowercase values."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


class PaymentMethod(StrEnum):
    COD = "cod"
    # Charged to the customer's house account (storegraph/rules/customers/house_account.py).
    HOUSE_ACCOUNT = "house_account"


class DeliveryType(StrEnum):
    HOME = "home"
    DESK = "desk"


class ProductStatus(StrEnum):
    ACTIVE = "active"
    DRAFT = "draft"
    ARCHIVED = "archived"


class LandingPageStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class LoyaltyTransactionKind(StrEnum):
    ADJUSTMENT = "adjustment"
    EARNING = "earning"


class HouseAccountTransactionKind(StrEnum):
    CHARGE = "charge"
    CREDIT = "credit"
    PAYMENT = "payment"

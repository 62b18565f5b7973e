"""The entries of a customer's ledgers: loyalty points and the house account."""

from __future__ import annotations

import strawberry

from schema.core.enums import HouseAccountTransactionKind, LoyaltyTransactionKind
from schema.core.scalars import DateTime, Money


@strawberry.type(description="One change of a customer's loyalty points.")
class LoyaltyTransaction:
    id: strawberry.ID
    kind: LoyaltyTransactionKind = strawberry.field(
        description="`ADJUSTMENT` by the merchant (`adjustLoyaltyPoints`), or `EARNING` by a delivered order."
    )
    delta: int = strawberry.field(description="Points added (positive) or taken (negative).")
    reason: str
    balance_after: int = strawberry.field(description="The balance this change left.")
    order_id: strawberry.ID | None = strawberry.field(description="The order that earned the points.")
    created_at: DateTime


@strawberry.type(description="One change of what a customer owes on their house account.")
class HouseAccountTransaction:
    id: strawberry.ID
    kind: HouseAccountTransactionKind = strawberry.field(
        description="`CHARGE` of an order, `CREDIT` of a cancelled order, or `PAYMENT` by the customer."
    )
    amount: Money = strawberry.field(
        description="Signed: a charge adds to what the customer owes, a credit or a payment (negative) takes from it."
    )
    reason: str
    balance_after: Money = strawberry.field(description="What the customer owed after this change.")
    order_id: strawberry.ID | None = strawberry.field(description="The order charged or credited back.")
    created_at: DateTime


__all__ = ["HouseAccountTransaction", "LoyaltyTransaction"]

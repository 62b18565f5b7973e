"""What the ledger tests share: their operations, a shop with a customer, writes with a fresh Idempotency-Key, and the
committed ledgers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from db.models import Customer, HouseAccountTransaction, LoyaltyTransaction

ENTRY = "id kind delta reason balanceAfter orderId createdAt"
HOUSE_ENTRY = "id kind amount reason balanceAfter orderId createdAt"
ADJUST = f"""
mutation($input: AdjustLoyaltyPointsInput!) {{
  adjustLoyaltyPoints(input: $input) {{
    customer {{ id loyaltyBalance }} transaction {{ {ENTRY} }} previousBalance newBalance
    userErrors {{ field code message }}
  }}
}}
"""
PAY = f"""
mutation($input: RecordHouseAccountPaymentInput!) {{
  recordHouseAccountPayment(input: $input) {{
    customer {{ id houseAccountBalance }} transaction {{ {HOUSE_ENTRY} }} previousBalance newBalance
    userErrors {{ field code message }}
  }}
}}
"""
UPDATE = """
mutation($input: UpdateCustomerInput!) {
  updateCustomer(input: $input) {
    customer { id isLoyaltyEnabled isHouseAccountEnabled houseAccountLimit houseAccountBalance }
    userErrors { field code message }
  }
}
"""
LOYALTY = f"""
query($id: ID!, $first: Int, $after: String) {{
  customer(id: $id) {{
    loyaltyBalance isLoyaltyEnabled
    loyaltyTransactions(first: $first, after: $after) {{
      totalCount nodes {{ {ENTRY} }} pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""
HOUSE_ACCOUNT = f"""
query($id: ID!, $first: Int, $after: String) {{
  customer(id: $id) {{
    houseAccountBalance houseAccountLimit isHouseAccountEnabled
    houseAccountTransactions(first: $first, after: $after) {{
      totalCount nodes {{ {HOUSE_ENTRY} }} pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""
PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id total paymentMethod status }
    customer { id houseAccountBalance }
    userErrors { field code message }
  }
}
"""
STATUS = """
mutation($input: UpdateOrderStatusInput!) {
  updateOrderStatus(input: $input) { order { id status } userErrors { field code } }
}
"""
UPDATE_STORE = """
mutation($input: UpdateStoreInput!) { updateStore(input: $input) { store { settings } userErrors { field code } } }
"""


def writes(key: Any) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": str(uuid.uuid4())}


def order_input(product_id: int, phone: str, *, quantity: int = 1, method: str = "HOUSE_ACCOUNT") -> dict[str, Any]:
    return {
        "input": {
            "lines": [{"productId": str(product_id), "quantity": quantity}],
            "customer": {"firstName": "Karim", "phone": phone, "wilayaId": 16},
            "paymentMethod": method,
        }
    }


async def ledger_of(sessionmaker: Any, model: Any, customer_id: int) -> list[Any]:
    """The customer's committed ledger, oldest first."""
    async with sessionmaker() as session:
        stmt = select(*model.__table__.c).where(model.customer_id == customer_id).order_by(model.id)
        return list((await session.execute(stmt)).all())


async def balances_of(sessionmaker: Any, customer_id: int) -> tuple[int, int]:
    """(loyalty balance, house-account balance) as committed."""
    async with sessionmaker() as session:
        stmt = select(Customer.loyalty_balance, Customer.house_account_balance).where(Customer.id == customer_id)
        row = (await session.execute(stmt)).one()
        return int(row[0]), int(row[1])


def ledger_entries(
    store_id: int, customer_id: int, other_id: int, base: datetime
) -> tuple[list[LoyaltyTransaction], list[HouseAccountTransaction], list[Any]]:
    """Five entries of each ledger of a customer, two minutes apart from ``base``, and one of each of another
    customer at ``base`` + 3 minutes, in between."""
    loyalty = [
        LoyaltyTransaction(
            store_id=store_id,
            customer_id=customer_id,
            kind="adjustment",
            delta=10,
            reason=f"gift {i}",
            balance_after=10 * (i + 1),
            created_at=base + timedelta(minutes=2 * i),
        )
        for i in range(5)
    ]
    house = [
        HouseAccountTransaction(
            store_id=store_id,
            customer_id=customer_id,
            kind="charge",
            amount=100,
            reason=f"order {i}",
            balance_after=100 * (i + 1),
            created_at=base + timedelta(minutes=2 * i),
        )
        for i in range(5)
    ]
    between = base + timedelta(minutes=3)
    others: list[Any] = [
        LoyaltyTransaction(
            store_id=store_id,
            customer_id=other_id,
            kind="adjustment",
            delta=1,
            reason="other",
            balance_after=1,
            created_at=between,
        ),
        HouseAccountTransaction(
            store_id=store_id,
            customer_id=other_id,
            kind="charge",
            amount=1,
            reason="other",
            balance_after=1,
            created_at=between,
        ),
    ]
    return loyalty, house, others

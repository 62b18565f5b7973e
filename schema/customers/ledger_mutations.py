"""adjustLoyaltyPoints and recordHouseAccountPayment: the merchant's changes of a customer's ledgers."""

from __future__ import annotations

from typing import Any, cast

import strawberry

from db.queries.customers import customers_by_ids
from resolvers.core.context import Info
from resolvers.ledgers import HOUSE_ACCOUNT, LOYALTY, ledger_entry
from schema.core.payloads import UserError, payload, run_mutation, written_row
from schema.core.scalars import Money
from schema.customers.ledgers import HouseAccountTransaction, LoyaltyTransaction
from schema.customers.types import Customer
from storegraph.platform.ids import parse_id
from storegraph.rules.customers.house_account import record_house_account_payment
from storegraph.rules.customers.loyalty import MAX_DELTA, MAX_REASON, LedgerMove, adjust_loyalty_points

REASON = f"Why, for the ledger: 1–{MAX_REASON} characters."


@strawberry.input(description="Points to add (positive) or take (negative), with why.")
class AdjustLoyaltyPointsInput:
    customer_id: strawberry.ID
    delta: int = strawberry.field(
        description=f"Not zero, between -{MAX_DELTA} and {MAX_DELTA}; a deduction below zero is `insufficient_balance`."
    )
    reason: str = strawberry.field(description=REASON)


@strawberry.input(description="A payment by the customer towards what they owe on their house account.")
class RecordHouseAccountPaymentInput:
    customer_id: strawberry.ID
    amount: Money = strawberry.field(description="More than zero and at most the balance owed.")
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class AdjustLoyaltyPointsPayload:
    customer: Customer | None
    transaction: LoyaltyTransaction | None
    previous_balance: int | None
    new_balance: int | None
    user_errors: list[UserError]


@strawberry.type
class RecordHouseAccountPaymentPayload:
    customer: Customer | None
    transaction: HouseAccountTransaction | None
    previous_balance: Money | None
    new_balance: Money | None
    user_errors: list[UserError]


async def _ledger_payload(
    info: Info, model: Any, customer_id: int, move: LedgerMove | None, errors: list[UserError]
) -> Any:
    customer = await written_row(info, customers_by_ids, customer_id if move else None)
    entry = await ledger_entry(info.context, model, move.entry.id if move else None)
    return payload(
        customer=customer,
        transaction=entry,
        previous_balance=move.previous_balance if move else None,
        new_balance=move.new_balance if move else None,
        user_errors=errors,
    )


@strawberry.type
class CustomerLedgerMutations:
    @strawberry.mutation(
        description="Adds or takes loyalty points, with a ledger entry: `insufficient_balance` below zero, "
        "`loyalty_disabled` for a customer with loyalty off, changing nothing."
    )
    async def adjust_loyalty_points(
        self, info: Info, input: AdjustLoyaltyPointsInput
    ) -> AdjustLoyaltyPointsPayload | None:
        context = info.context
        customer_id = parse_id(input.customer_id, "customerId")
        move, errors = await run_mutation(
            info,
            lambda s: adjust_loyalty_points(
                s, context.store_id, customer_id, input.delta, input.reason, context.principal.key_pk
            ),
        )
        result = await _ledger_payload(info, LOYALTY, customer_id, move, errors)
        return cast("AdjustLoyaltyPointsPayload", result)

    @strawberry.mutation(
        description="Records a payment towards the house account's balance, with a ledger entry; more than the "
        "balance is a `validation_error`, changing nothing."
    )
    async def record_house_account_payment(
        self, info: Info, input: RecordHouseAccountPaymentInput
    ) -> RecordHouseAccountPaymentPayload | None:
        context = info.context
        customer_id = parse_id(input.customer_id, "customerId")
        move, errors = await run_mutation(
            info,
            lambda s: record_house_account_payment(
                s, context.store_id, customer_id, input.amount, input.reason, context.principal.key_pk
            ),
        )
        result = await _ledger_payload(info, HOUSE_ACCOUNT, customer_id, move, errors)
        return cast("RecordHouseAccountPaymentPayload", result)

"""House accounts: a customer the merchant trusts buys on account (``placeOrder`` with ``HOUSE_ACCOUNT``) and pays
later (``recordHouseAccountPayment``). The balance is what the customer owes: never below zero, and a charge never
takes it over the customer's limit. Each change is one conditional update of the balance (db/queries/ledgers.py)
and one ledger row, in the caller's transaction: an order refused for its account leaves nothing behind."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HouseAccountTransaction, Order
from db.queries.executor import WriteTransaction
from db.queries.ledgers import (
    add_ledger_entry,
    charge_house_account,
    credit_house_account,
    customer_balances,
    ledger_entry_exists,
    lock_customer_balances,
)
from storegraph.platform.errors import HouseAccountDisabled, HouseAccountLimitExceeded, NotFound, ValidationFailed
from storegraph.platform.money import MAX_MONEY
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import Problems
from storegraph.rules.customers.loyalty import LedgerMove, check_reason
from storegraph.rules.statuses import HouseAccountTransactionKind, PaymentMethod

CHARGE = HouseAccountTransactionKind.CHARGE.value
CREDIT = HouseAccountTransactionKind.CREDIT.value


async def charge_order(
    session: AsyncSession, store_id: int, order: Order | Row[Any], actor_key_id: int | None
) -> LedgerMove:
    """Charges the order's total to its customer's house account: ``house_account_disabled``, or
    ``house_account_limit_exceeded`` when the balance would pass the limit (with no limit, the money bound)."""
    customer_id = order.customer_id
    if customer_id is None:  # checkout always sets it
        raise RuntimeError("an order to charge has no customer")
    balance = await charge_house_account(session, store_id, customer_id, order.total, ceiling=MAX_MONEY)
    if balance is None:
        row = await customer_balances(session, store_id, customer_id)
        if row is None or not row.is_house_account_enabled:
            raise HouseAccountDisabled("paymentMethod")
        limit = MAX_MONEY if row.house_account_limit is None else row.house_account_limit
        raise HouseAccountLimitExceeded("paymentMethod", row.house_account_balance, limit)
    entry = await add_ledger_entry(
        session,
        HouseAccountTransaction(
            store_id=store_id,
            customer_id=customer_id,
            kind=CHARGE,
            amount=order.total,
            reason=f"Order {order.order_number}",
            balance_after=balance,
            order_id=order.id,
            actor_key_id=actor_key_id,
            created_at=utcnow(),
        ),
    )
    return LedgerMove(entry, balance - order.total, balance)


async def credit_cancelled_order(
    session: WriteTransaction, store_id: int, order: Order | SimpleNamespace, actor_key_id: int | None
) -> LedgerMove | None:
    """A cancelled order charged to the account is credited back, once: its total, or what the customer still owes
    if that is less (what they already paid of it is refunded outside the account, which never owes the customer)."""
    customer_id = order.customer_id
    if customer_id is None or order.payment_method != PaymentMethod.HOUSE_ACCOUNT.value:
        return None
    if not await ledger_entry_exists(session, HouseAccountTransaction, order.id, CHARGE):
        return None
    if await ledger_entry_exists(session, HouseAccountTransaction, order.id, CREDIT):
        return None
    row = await lock_customer_balances(session, store_id, customer_id)
    amount = min(order.total, row.house_account_balance) if row is not None else 0
    if amount <= 0:
        return None
    balance = await credit_house_account(session, store_id, customer_id, amount)
    if balance is None:  # the row is locked: nothing can have changed since it was read
        raise RuntimeError(f"house account of customer {customer_id} changed under its lock")
    entry = await add_ledger_entry(
        session,
        HouseAccountTransaction(
            store_id=store_id,
            customer_id=customer_id,
            kind=CREDIT,
            amount=-amount,
            reason=f"Order {order.order_number} cancelled",
            balance_after=balance,
            order_id=order.id,
            actor_key_id=actor_key_id,
            created_at=utcnow(),
        ),
    )
    return LedgerMove(entry, balance + amount, balance)


async def record_house_account_payment(
    session: AsyncSession, store_id: int, customer_id: int, amount: int, reason: str | None, actor_key_id: int | None
) -> LedgerMove:
    """A payment takes ``amount`` (more than zero, at most the balance) off what the customer owes. Accepted even
    when the account has been disabled since: a debt can always be paid."""
    problems = Problems()
    if amount <= 0:
        problems.add("amount", "out_of_range", "amount must be more than zero")
    checked_reason = check_reason(problems, reason)
    problems.raise_if_any()
    balance = await credit_house_account(session, store_id, customer_id, amount)
    if balance is None:
        row = await customer_balances(session, store_id, customer_id)
        if row is None:
            raise NotFound("Customer", customer_id, field="customerId")
        raise ValidationFailed.single(
            "amount",
            "out_of_range",
            f"amount must be at most the balance the customer owes ({row.house_account_balance})",
        )
    entry = await add_ledger_entry(
        session,
        HouseAccountTransaction(
            store_id=store_id,
            customer_id=customer_id,
            kind=HouseAccountTransactionKind.PAYMENT.value,
            amount=-amount,
            reason=checked_reason,
            balance_after=balance,
            actor_key_id=actor_key_id,
            created_at=utcnow(),
        ),
    )
    return LedgerMove(entry, balance + amount, balance)

"""Loyalty points: a ledger per customer whose balance is never negative.

A merchant adjusts the balance by hand (``adjustLoyaltyPoints``); with the store setting ``loyalty_points_per_100``
at N, an order that becomes ``delivered`` earns ``floor(total / 100) * N`` points once. Each change is one
conditional update of the balance (db/queries/ledgers.py) and one ledger row, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LoyaltyTransaction, Order
from db.queries.executor import WriteTransaction
from db.queries.ledgers import (
    LedgerRow,
    add_ledger_entry,
    customer_balances,
    ledger_entry_exists,
    lock_customer_balances,
    move_loyalty_balance,
)
from storegraph.platform.errors import ApiError, InsufficientBalance, LoyaltyDisabled, NotFound, ValidationFailed
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import Problems
from storegraph.rules.statuses import LoyaltyTransactionKind

# One adjustment moves at most this many points; a balance holds at most MAX_BALANCE, within GraphQL's 32-bit Int.
MAX_DELTA = 1_000_000
MAX_BALANCE = 1_000_000_000
MAX_REASON = 200
# The store setting of the earning rate: points per 100 of an order's total (0, the default, earns nothing).
LOYALTY_RATE = "loyalty_points_per_100"
MAX_RATE = 1_000


@dataclass(frozen=True, slots=True)
class LedgerMove:
    """What one change of a balance wrote: its ledger row and the balance before and after."""

    entry: LedgerRow
    previous_balance: int
    new_balance: int


def check_reason(problems: Problems, reason: str | None) -> str:
    return problems.text("reason", reason, max_length=MAX_REASON, required=True) or ""


async def adjust_loyalty_points(
    session: AsyncSession, store_id: int, customer_id: int, delta: int, reason: str | None, actor_key_id: int | None
) -> LedgerMove:
    problems = Problems()
    if delta == 0:
        problems.add("delta", "invalid", "delta must not be zero")
    elif not -MAX_DELTA <= delta <= MAX_DELTA:
        problems.add("delta", "out_of_range", f"delta must be between -{MAX_DELTA} and {MAX_DELTA}")
    checked_reason = check_reason(problems, reason)
    problems.raise_if_any()
    balance = await move_loyalty_balance(
        session, store_id, customer_id, delta, maximum=MAX_BALANCE, require_enabled=True
    )
    if balance is None:
        raise await _refusal(session, store_id, customer_id, delta)
    entry = await add_ledger_entry(
        session,
        LoyaltyTransaction(
            store_id=store_id,
            customer_id=customer_id,
            kind=LoyaltyTransactionKind.ADJUSTMENT.value,
            delta=delta,
            reason=checked_reason,
            balance_after=balance,
            actor_key_id=actor_key_id,
            created_at=utcnow(),
        ),
    )
    return LedgerMove(entry, balance - delta, balance)


async def _refusal(session: AsyncSession, store_id: int, customer_id: int, delta: int) -> ApiError:
    """Why the conditional update changed nothing, as the error to answer."""
    row = await customer_balances(session, store_id, customer_id)
    if row is None:
        return NotFound("Customer", customer_id, field="customerId")
    if not row.is_loyalty_enabled:
        return LoyaltyDisabled("customerId")
    if row.loyalty_balance + delta < 0:
        return InsufficientBalance("delta", row.loyalty_balance)
    return ValidationFailed.single("delta", "out_of_range", f"a loyalty balance holds at most {MAX_BALANCE} points")


def loyalty_rate(settings: Any) -> int:
    """The store's earning rate; a setting that is not a valid rate (written before rates were checked) earns
    nothing."""
    rate = settings.get(LOYALTY_RATE) if isinstance(settings, dict) else None
    if isinstance(rate, int) and not isinstance(rate, bool) and 0 <= rate <= MAX_RATE:
        return rate
    return 0


def check_loyalty_rate(problems: Problems, settings_changes: Any) -> None:
    """A new ``settings.loyalty_points_per_100`` must be a whole number of points, 0 to ``MAX_RATE``."""
    if not isinstance(settings_changes, dict) or settings_changes.get(LOYALTY_RATE) is None:
        return
    rate = settings_changes[LOYALTY_RATE]
    field = f"settings.{LOYALTY_RATE}"
    if not isinstance(rate, int) or isinstance(rate, bool):
        problems.add(field, "invalid", f"{field} must be a whole number of points")
    else:
        problems.integer_range(field, rate, minimum=0, maximum=MAX_RATE)


async def earn_for_delivered_order(
    session: WriteTransaction, store_id: int, order: Order | SimpleNamespace, settings: Any, actor_key_id: int | None
) -> LedgerMove | None:
    """The points a delivered order earns, once per order: nothing when the store's rate is 0, the order has no
    customer, earns no whole point, or the customer has loyalty off. The balance's bound caps the earning.

    The status machine delivers an order once, under the order's lock; the ledger's unique (order, kind) holds
    the line even so."""
    rate = loyalty_rate(settings)
    points = (order.total // 100) * rate
    if points <= 0 or order.customer_id is None:
        return None
    if await ledger_entry_exists(session, LoyaltyTransaction, order.id, LoyaltyTransactionKind.EARNING.value):
        return None
    row = await lock_customer_balances(session, store_id, order.customer_id)
    if row is None or not row.is_loyalty_enabled:
        return None
    points = min(points, MAX_BALANCE - row.loyalty_balance)
    if points <= 0:
        return None
    balance = await move_loyalty_balance(
        session, store_id, order.customer_id, points, maximum=MAX_BALANCE, require_enabled=True
    )
    if balance is None:  # the row is locked: nothing can have changed since it was read
        raise RuntimeError(f"loyalty balance of customer {order.customer_id} changed under its lock")
    entry = await add_ledger_entry(
        session,
        LoyaltyTransaction(
            store_id=store_id,
            customer_id=order.customer_id,
            kind=LoyaltyTransactionKind.EARNING.value,
            delta=points,
            reason=f"Order {order.order_number} delivered",
            balance_after=balance,
            order_id=order.id,
            actor_key_id=actor_key_id,
            created_at=utcnow(),
        ),
    )
    return LedgerMove(entry, balance - points, balance)

"""The customers' ledgers: every change of a loyalty balance or a house-account balance is one row here, written in
the same transaction as the balance column it moves, with the balance it left (``balance_after``).

A row tied to an order (``order_id``) is unique per (order, kind): an order earns its points once, is charged to
the account once and credited back once, whatever retries or replays reach the rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class _LedgerEntry:
    """The columns every ledger row has; each ledger names its amount column (``delta``, ``amount``)."""

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # One of the ledger's kinds (storegraph.rules.statuses: LoyaltyTransactionKind, HouseAccountTransactionKind).
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200))
    balance_after: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    actor_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoyaltyTransaction(_LedgerEntry, Base):
    __tablename__ = "loyalty_transactions"
    __table_args__ = (
        # A customer's ledger newest first (keyset pages by created_at, id).
        Index(None, "customer_id", "created_at", "id"),
        # NULLs are distinct in a unique constraint on both databases: only rows with an order are constrained.
        UniqueConstraint("order_id", "kind"),
    )

    delta: Mapped[int] = mapped_column(BigInteger)


class HouseAccountTransaction(_LedgerEntry, Base):
    __tablename__ = "house_account_transactions"
    __table_args__ = (
        Index(None, "customer_id", "created_at", "id"),
        UniqueConstraint("order_id", "kind"),
    )

    # Signed: a charge adds to what the customer owes, a payment or a credit takes from it.
    amount: Mapped[int] = mapped_column(BigInteger)

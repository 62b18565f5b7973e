from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow

# Every customer list shows either the live customers (the default) or the archived ones, never both
# (db/queries/customers.py, ``listed``): each keyset index is split in two partial indexes by that condition, so
# a row sits in exactly one of them (no extra write per row) and either list is an index range without a sort.
LIVE = "archived_at IS NULL"
ARCHIVED = "archived_at IS NOT NULL"


def listed_indexes(column: str) -> tuple[Index, Index]:
    """The (store_id, ``column``, id) keyset index of the live list and of the archived list."""
    return _partial_index("live", column, LIVE), _partial_index("archived", column, ARCHIVED)


def _partial_index(state: str, column: str, condition: str) -> Index:
    name = f"ix_customers_{state}_store_id_{column}_id"
    return Index(name, "store_id", column, "id", postgresql_where=text(condition), sqlite_where=text(condition))


class Customer(Base):
    """A store's customer (the DZBuild Customers reference). ``device_fingerprint`` and ``identity_id`` are stored,
    never exposed."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("store_id", "phone"),
        *listed_indexes("created_at"),
        *listed_indexes("updated_at"),
        *listed_indexes("total_spent"),
        *listed_indexes("total_orders"),
        *listed_indexes("last_order_at"),
        *listed_indexes("first_name"),
        Index(None, "store_id", "email"),
        # The marketing-consent filter, in the list's default order.
        Index(None, "store_id", "accepts_marketing", "created_at", "id"),
        # Other customers of the store on the same device: a signal of the fraud heuristic
        # (storegraph/rules/customers/fraud.py).
        Index(None, "store_id", "device_fingerprint"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    # Normalised national format of the store's region (0555000000 for DZ), as the Customers reference shows it.
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    wilaya_id: Mapped[int | None]
    commune: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    # One of storegraph.rules.statuses.Gender's values.
    gender: Mapped[str | None] = mapped_column(String(16))
    birth_date: Mapped[date | None]
    # A BCP 47 language tag (``fr-DZ``); 35 characters hold any tag a client sends in practice.
    locale: Mapped[str | None] = mapped_column(String(35))
    accepts_marketing: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Free-form merchant data; ``metadata`` is taken by the declarative base.
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, server_default=text("'{}'"))
    total_orders: Mapped[int] = mapped_column(default=0)
    total_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    last_order_at: Mapped[datetime | None]
    fraud_score: Mapped[int] = mapped_column(default=0)
    is_banned: Mapped[bool] = mapped_column(default=False)
    ban_reason: Mapped[str | None] = mapped_column(String(255))
    banned_at: Mapped[datetime | None]
    device_fingerprint: Mapped[str | None] = mapped_column(String(128))
    # The ledgers' balances (db/models/ledger.py): each moves only with a row of its ledger, in one transaction,
    # under the customer's row lock, so it always equals the sum of its ledger.
    loyalty_balance: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    is_loyalty_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    is_house_account_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # None: no limit of the merchant's own (the money bound still holds).
    house_account_limit: Mapped[int | None] = mapped_column(BigInteger)
    # What the customer owes the store, never below zero.
    house_account_balance: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    identity_id: Mapped[str | None] = mapped_column(String(64))
    # Seed 001's soft delete: an archived customer leaves the lists until restored (or until it orders again).
    archived_at: Mapped[datetime | None]
    # Set once by the erasure (storegraph/rules/customers/erasure.py), which emptied every personal field.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CustomerTag(Base):
    """One tag of one customer: a row per (customer, tag) so that a tag filter reads an index, not a JSON array.

    ``name`` is the spelling first given; ``name_key`` (lowercased) makes a tag unique per customer ignoring case and
    is what filters and counts compare."""

    __tablename__ = "customer_tags"
    __table_args__ = (
        # The store's customers with a tag, and the store's tags with their counts, without reading customers.
        Index(None, "store_id", "name_key", "customer_id"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    # Lowercasing can lengthen a name (U+0130 becomes two characters): twice the name's bound holds any key.
    name_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

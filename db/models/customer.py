from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
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
        Index(None, "store_id", "email"),
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
    total_orders: Mapped[int] = mapped_column(default=0)
    total_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    last_order_at: Mapped[datetime | None]
    fraud_score: Mapped[int] = mapped_column(default=0)
    is_banned: Mapped[bool] = mapped_column(default=False)
    ban_reason: Mapped[str | None] = mapped_column(String(255))
    banned_at: Mapped[datetime | None]
    device_fingerprint: Mapped[str | None] = mapped_column(String(128))
    identity_id: Mapped[str | None] = mapped_column(String(64))
    # Seed 001's soft delete: an archived customer leaves the lists until restored (or until it orders again).
    archived_at: Mapped[datetime | None]
    # Set once by the erasure (storegraph/rules/customers/erasure.py), which emptied every personal field.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

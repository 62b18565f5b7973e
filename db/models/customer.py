from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class Customer(Base):
    """A store's customer (the DZBuild Customers reference). ``device_fingerprint`` and ``identity_id`` are stored,
    never exposed."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("store_id", "phone"),
        Index(None, "store_id", "created_at", "id"),
        Index(None, "store_id", "updated_at", "id"),
        Index(None, "store_id", "total_spent", "id"),
        Index(None, "store_id", "total_orders", "id"),
        Index(None, "store_id", "last_order_at", "id"),
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

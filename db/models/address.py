from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class CustomerAddress(Base):
    """One address of a customer's address book. While a customer has addresses exactly one is the default; the
    partial unique index holds the database to "at most one", the rules (storegraph/rules/customers/addresses.py)
    to "at least one"."""

    __tablename__ = "customer_addresses"
    __table_args__ = (
        # A customer's book, default first then newest: the one list every read of addresses runs.
        Index(None, "customer_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    label: Mapped[str | None] = mapped_column(String(50))
    line1: Mapped[str] = mapped_column(String(255))
    line2: Mapped[str | None] = mapped_column(String(255))
    wilaya_id: Mapped[int | None]
    commune: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    # ISO 3166-1 alpha-2.
    country: Mapped[str] = mapped_column(String(2), default="DZ")
    # Normalised like a customer's phone (storegraph/platform/phones.py).
    phone: Mapped[str | None] = mapped_column(String(32))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# At most one default per customer, whatever runs concurrently.
Index(
    "ix_customer_addresses_one_default",
    CustomerAddress.customer_id,
    unique=True,
    sqlite_where=CustomerAddress.is_default,
    postgresql_where=CustomerAddress.is_default,
)

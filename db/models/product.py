from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("store_id", "slug"),
        UniqueConstraint("store_id", "sku"),
        # One (store_id, sort column, id) index per sort of the products list (keyset pages, see db/queries/pagination).
        Index(None, "store_id", "created_at", "id"),
        Index(None, "store_id", "updated_at", "id"),
        Index(None, "store_id", "price", "id"),
        Index(None, "store_id", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(220))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[int] = mapped_column(BigInteger)
    compare_price: Mapped[int | None] = mapped_column(BigInteger)
    cost_price: Mapped[int | None] = mapped_column(BigInteger)
    sku: Mapped[str | None] = mapped_column(String(64))
    track_stock: Mapped[bool] = mapped_column(default=False)
    stock_quantity: Mapped[int] = mapped_column(default=0)
    low_stock_alert: Mapped[int] = mapped_column(default=5)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

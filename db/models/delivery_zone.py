from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class DeliveryZone(Base):
    """A store's delivery zone: the wilayas it covers (``ZoneWilaya``) and what checkout charges there."""

    __tablename__ = "delivery_zones"
    __table_args__ = (UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    home_fee: Mapped[int] = mapped_column(BigInteger)
    desk_fee: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ZoneWilaya(Base):
    """A wilaya of a zone. The unique (store, wilaya) makes a wilaya part of at most one zone of a store, so two
    concurrent writes cannot both take it; it is also checkout's lookup of the zone of an order's wilaya."""

    __tablename__ = "zone_wilayas"
    __table_args__ = (UniqueConstraint("store_id", "wilaya_id"),)

    zone_id: Mapped[int] = mapped_column(ForeignKey("delivery_zones.id", ondelete="CASCADE"), primary_key=True)
    wilaya_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))

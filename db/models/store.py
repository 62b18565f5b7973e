from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="DZD")
    # Region used to normalise customer phone numbers (phonenumbers region code).
    phone_region: Mapped[str] = mapped_column(String(2), default="DZ")
    plan: Mapped[str] = mapped_column(String(40), default="free")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The part of the data version that the releases before ``store_versions`` raised, and that their processes
    # still raise while a rollout runs them beside this release's: the version read adds it to the shards' sum
    # (db/queries/store_versions.py). Nothing raises it any more; a later release drops it.
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class Signup(Base):
    """A signup tracked through a public key (POST /v1/signups), stored by the worker once it is counted."""

    __tablename__ = "signups"
    __table_args__ = (Index(None, "store_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    # Given when the signup is accepted (the 202's id), so a job run twice stores it once.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    key_id: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(100))
    campaign: Mapped[str | None] = mapped_column(String(100))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    # False when the plan's monthly signups quota was used up: kept, but not counted and no signup.counted.
    counted: Mapped[bool] = mapped_column(default=True)
    accepted_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrackedEvent(Base):
    """One event logged through a public key (POST /v1/events); its id makes processing it twice harmless."""

    __tablename__ = "tracked_events"
    __table_args__ = (Index(None, "store_id", "event", "occurred_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    key_id: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime]
    accepted_at: Mapped[datetime]


class EventCount(Base):
    """How many events of one type a store logged on one day (UTC), kept by the worker."""

    __tablename__ = "event_counts"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)

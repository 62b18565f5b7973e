from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class OutboxEvent(Base):
    """A domain event, written in the same transaction as the change that caused it (the outbox pattern).

    The worker turns undispatched events into webhook deliveries; nothing is lost if it is down meanwhile.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (Index(None, "dispatched_at", "id"), Index(None, "store_id", "event", "id"))

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    # Public id of the event (evt_...), the `id` of the webhook body.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]

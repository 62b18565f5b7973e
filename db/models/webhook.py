from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class WebhookSubscription(Base):
    """An endpoint of a store that receives the events it subscribed to, signed with its own secret."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index(None, "store_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(default=list)
    # The signing secret must be readable to sign deliveries; it is shown to the merchant once.
    secret: Mapped[str] = mapped_column(String(80))
    is_active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    # Since when every delivery attempt failed (None while the endpoint answers): a day of it disables it.
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookDelivery(Base):
    """One attempt to deliver one event to one subscription: what was sent, what came back, and how long it took.

    Every attempt of the same event to the same endpoint shares ``delivery_id`` (the ``X-DZ-Delivery`` header), so
    a receiver can tell a retry from a new event; ``attempt`` counts from 1.
    """

    __tablename__ = "webhook_deliveries"
    # The delivery log of a subscription, newest first; and a delivery's attempts by its id (redelivery).
    __table_args__ = (Index(None, "subscription_id", "created_at", "id"), Index(None, "store_id", "delivery_id"))

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int] = mapped_column(default=1)
    succeeded: Mapped[bool] = mapped_column(default=False)
    # None when no HTTP answer came back (timeout, refused connection): ``error`` says why.
    response_status: Mapped[int | None]
    duration_ms: Mapped[int | None]
    # The first bytes of the receiver's answer, for the merchant debugging their endpoint.
    response_excerpt: Mapped[str | None] = mapped_column(String(1024))
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

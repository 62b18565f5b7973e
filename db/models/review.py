"""A customer's review of a delivered order: one per order, moderated by the merchant, who may answer it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow

# Held by the database too (CHECK constraints), so no path around the rules can store what they refuse.
MIN_RATING, MAX_RATING = 1, 5
MAX_REVIEW_TEXT = 2_000

RATED = ("rating", "product_rating", "delivery_rating", "packaging_rating")


def _rating_check(column: str) -> CheckConstraint:
    in_range = f"{column} BETWEEN {MIN_RATING} AND {MAX_RATING}"
    return CheckConstraint(in_range if column == "rating" else f"{column} IS NULL OR {in_range}", name=column)


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        # One review per order: concurrent creates end as one row whatever the rules saw.
        UniqueConstraint("order_id"),
        *(_rating_check(column) for column in RATED),
        CheckConstraint(f"comment IS NULL OR length(comment) <= {MAX_REVIEW_TEXT}", name="comment_length"),
        CheckConstraint(f"response_text IS NULL OR length(response_text) <= {MAX_REVIEW_TEXT}", name="response_length"),
        # Newest first, within the store and within a customer; the filters that narrow most lead their index.
        Index(None, "store_id", "created_at", "id"),
        Index(None, "store_id", "customer_id", "created_at", "id"),
        Index(None, "store_id", "is_approved", "created_at", "id"),
        Index(None, "store_id", "rating", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # The order's customer when the review was written; null once that customer row is gone, as on the order.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    rating: Mapped[int]
    product_rating: Mapped[int | None]
    delivery_rating: Mapped[int | None]
    packaging_rating: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    is_approved: Mapped[bool] = mapped_column(default=False)
    is_public: Mapped[bool] = mapped_column(default=True)
    is_featured: Mapped[bool] = mapped_column(default=False)
    response_text: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None]
    responded_by: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

"""Writing a review: only of a delivered order of the store, one per order, by the order's customer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Review
from db.models.review import MAX_RATING, MAX_REVIEW_TEXT, MIN_RATING
from db.queries.orders import lock_order
from db.queries.reviews import insert_review, review_id_of_order
from storegraph.platform.errors import Conflict, NotFound, OrderNotDelivered
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import Problems
from storegraph.rules.statuses import OrderStatus


@dataclass(frozen=True, slots=True)
class NewReview:
    order_id: int
    rating: int
    product_rating: int | None = None
    delivery_rating: int | None = None
    packaging_rating: int | None = None
    comment: str | None = None
    is_public: bool = True


def check_rating(problems: Problems, field: str, value: int | None) -> None:
    problems.integer_range(field, value, minimum=MIN_RATING, maximum=MAX_RATING)


def _validated_comment(new: NewReview) -> str | None:
    problems = Problems()
    check_rating(problems, "rating", new.rating)
    check_rating(problems, "productRating", new.product_rating)
    check_rating(problems, "deliveryRating", new.delivery_rating)
    check_rating(problems, "packagingRating", new.packaging_rating)
    comment = problems.text("comment", new.comment, max_length=MAX_REVIEW_TEXT)
    problems.raise_if_any()
    return comment


async def create_review(session: AsyncSession, store_id: int, new: NewReview) -> Review:
    """Creates the review, not approved and not featured. The order's row lock makes concurrent creates for one
    order wait for each other, so the later ones see the first and answer ``conflict``; the unique index on the
    order answers the same should anything get past it."""
    comment = _validated_comment(new)
    order = await lock_order(session, store_id, new.order_id)
    if order is None:
        raise NotFound("Order", new.order_id, field="orderId")
    if order.status != OrderStatus.DELIVERED:
        raise OrderNotDelivered("orderId", order.id, order.status)
    if await review_id_of_order(session, order.id) is not None:
        raise Conflict("orderId", f"Order {order.id} already has a review")
    now = utcnow()
    values = {
        "store_id": store_id,
        "order_id": order.id,
        "customer_id": order.customer_id,
        "rating": new.rating,
        "product_rating": new.product_rating,
        "delivery_rating": new.delivery_rating,
        "packaging_rating": new.packaging_rating,
        "comment": comment,
        "is_approved": False,
        "is_public": new.is_public,
        "is_featured": False,
        "created_at": now,
        "updated_at": now,
    }
    try:
        return await insert_review(session, values)
    except IntegrityError:
        raise Conflict("orderId", f"Order {order.id} already has a review") from None

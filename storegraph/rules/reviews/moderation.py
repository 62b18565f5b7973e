"""The merchant's side of a review: approving, publishing and featuring it, answering it, deleting it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Review
from db.models.review import MAX_REVIEW_TEXT
from db.queries.reviews import delete_review_row, lock_review
from storegraph.platform.errors import NotFound
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import UNSET, Problems


@dataclass(frozen=True, slots=True)
class Moderation:
    """Flags to set; ``UNSET`` leaves one as it is."""

    is_approved: Any = UNSET
    is_public: Any = UNSET
    is_featured: Any = UNSET


_FLAGS = {"is_approved": "isApproved", "is_public": "isPublic", "is_featured": "isFeatured"}


async def moderate_review(session: AsyncSession, store_id: int, review_id: int, moderation: Moderation) -> Review:
    problems = Problems()
    changes: dict[str, bool] = {}
    for attribute, field in _FLAGS.items():
        value = getattr(moderation, attribute)
        if value is UNSET:
            continue
        if value is None:
            problems.add(field, "blank", f"{field} cannot be null")
            continue
        changes[attribute] = bool(value)
    problems.raise_if_any()
    review = await _owned_review(session, store_id, review_id)
    for attribute, value in changes.items():
        setattr(review, attribute, value)
    if changes:
        review.updated_at = utcnow()
    await session.flush()
    return review


async def respond_to_review(session: AsyncSession, store_id: int, review_id: int, text: str, key_pk: int) -> Review:
    """Sets the merchant's response, replacing any earlier one, with the time and the key that wrote it."""
    problems = Problems()
    response = problems.text("text", text, max_length=MAX_REVIEW_TEXT, required=True)
    problems.raise_if_any()
    review = await _owned_review(session, store_id, review_id)
    now = utcnow()
    review.response_text = response
    review.responded_at = now
    review.responded_by = key_pk
    review.updated_at = now
    await session.flush()
    return review


async def delete_review(session: AsyncSession, store_id: int, review_id: int) -> int:
    review = await _owned_review(session, store_id, review_id)
    await delete_review_row(session, review)
    return review_id


async def _owned_review(session: AsyncSession, store_id: int, review_id: int) -> Review:
    review = await lock_review(session, store_id, review_id)
    if review is None:
        raise NotFound("Review", review_id)
    return review

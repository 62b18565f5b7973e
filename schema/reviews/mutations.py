from __future__ import annotations

from typing import cast

import strawberry

from db.queries.reviews import reviews_by_ids
from resolvers.core.context import Info
from schema.core.payloads import UserError, given, payload, run_mutation, written_row
from schema.reviews.types import Review
from storegraph.platform.ids import parse_id
from storegraph.rules.reviews.create import NewReview, create_review
from storegraph.rules.reviews.moderation import Moderation, delete_review, moderate_review, respond_to_review


@strawberry.input
class CreateReviewInput:
    order_id: strawberry.ID = strawberry.field(description="A delivered order of the store.")
    rating: int = strawberry.field(description="1–5.")
    product_rating: int | None = strawberry.field(default=None, description="1–5.")
    delivery_rating: int | None = strawberry.field(default=None, description="1–5.")
    packaging_rating: int | None = strawberry.field(default=None, description="1–5.")
    comment: str | None = strawberry.field(default=None, description="At most 2,000 characters; blank means none.")
    is_public: bool = True


@strawberry.input(description="Flags left out stay as they are.")
class ModerateReviewInput:
    id: strawberry.ID
    is_approved: bool | None = strawberry.UNSET
    is_public: bool | None = strawberry.UNSET
    is_featured: bool | None = strawberry.UNSET


@strawberry.input
class RespondToReviewInput:
    id: strawberry.ID
    text: str = strawberry.field(description="1–2,000 characters; replaces any earlier response.")


@strawberry.type
class ReviewPayload:
    review: Review | None
    user_errors: list[UserError]


@strawberry.type
class DeleteReviewPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


def _new_review(data: CreateReviewInput) -> NewReview:
    return NewReview(
        order_id=parse_id(data.order_id, "orderId"),
        rating=data.rating,
        product_rating=data.product_rating,
        delivery_rating=data.delivery_rating,
        packaging_rating=data.packaging_rating,
        comment=data.comment,
        is_public=data.is_public,
    )


async def _review_payload(info: Info, review_id: int | None, errors: list[UserError]) -> ReviewPayload | None:
    review = await written_row(info, reviews_by_ids, review_id)
    return cast("ReviewPayload", payload(review=review, user_errors=errors))


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(
        description="A review of a delivered order by its customer: one per order (`conflict`), only once the order "
        "is `delivered` (`order_not_delivered`). New reviews are not approved and not featured."
    )
    async def create_review(self, info: Info, input: CreateReviewInput) -> ReviewPayload | None:
        store_id = info.context.store_id
        review, errors = await run_mutation(info, lambda s: create_review(s, store_id, _new_review(input)))
        return await _review_payload(info, review.id if review else None, errors)

    @strawberry.mutation(description="Approves, publishes or features a review, or takes that back.")
    async def moderate_review(self, info: Info, input: ModerateReviewInput) -> ReviewPayload | None:
        store_id = info.context.store_id
        moderation = Moderation(
            is_approved=given(input.is_approved), is_public=given(input.is_public), is_featured=given(input.is_featured)
        )
        review, errors = await run_mutation(
            info, lambda s: moderate_review(s, store_id, parse_id(input.id), moderation)
        )
        return await _review_payload(info, review.id if review else None, errors)

    @strawberry.mutation(description="Sets the merchant's response, replacing any earlier one.")
    async def respond_to_review(self, info: Info, input: RespondToReviewInput) -> ReviewPayload | None:
        context = info.context
        review, errors = await run_mutation(
            info,
            lambda s: respond_to_review(s, context.store_id, parse_id(input.id), input.text, context.principal.key_pk),
        )
        return await _review_payload(info, review.id if review else None, errors)

    @strawberry.mutation(description="Deletes a review; its order can then be reviewed again.")
    async def delete_review(self, info: Info, id: strawberry.ID) -> DeleteReviewPayload | None:
        store_id = info.context.store_id
        deleted, errors = await run_mutation(info, lambda s: delete_review(s, store_id, parse_id(id)))
        return cast("DeleteReviewPayload", payload(deleted_id=deleted, user_errors=errors))

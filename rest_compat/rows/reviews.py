"""The review endpoints: the list, the statistics, one review, and the merchant's moderation of them."""

from __future__ import annotations

from rest_compat import inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import PAGE_INFO, PAGE_VARS, USER_ERRORS
from storegraph.platform.auth.scopes import Scope

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListReviews",
        method="GET",
        path="/v1/reviews",
        scope=Scope.REVIEWS_READ,
        summary="List reviews, newest first",
        description="`from` and `to` are UTC days, both included.",
        operation=(
            "query ListReviews($first: Int!, $after: String, $filter: ReviewFilter) "
            f"{{ reviews(first: $first, after: $after, filter: $filter) {{ nodes {{ ...Review }} {PAGE_INFO} }} }}"
        ),
        result="reviews",
        result_kind="list",
        fragment="Review",
        resource="Review",
        query=inputs.ReviewQuery,
        query_vars={
            **PAGE_VARS,
            "is_approved": "filter.isApproved",
            "min_rating": "filter.minRating",
            "max_rating": "filter.maxRating",
            "from_": "filter.from",
            "to": "filter.to",
            "customer_id": "filter.customerId",
            "order_id": "filter.orderId",
        },
    ),
    Endpoint(
        name="GetReviewStats",
        method="GET",
        path="/v1/reviews/stats",
        scope=Scope.REVIEWS_READ,
        summary="Counts, average rating and distribution of the store's reviews",
        description="Over the reviews written from `from` to `to` (UTC days, both included; all when left out). "
        "`rating_distribution` lists ratings 1 to 5, zeros included; `average_rating` is rounded half up to two "
        "decimals, null without reviews.",
        operation=(
            "query GetReviewStats($from: Date, $to: Date) { reviewStats(from: $from, to: $to) { ...ReviewStats } }"
        ),
        result="reviewStats",
        fragment="ReviewStats",
        resource="Review",
        query=inputs.ReviewDays,
        query_vars={"from_": "from", "to": "to"},
    ),
    Endpoint(
        name="GetReview",
        method="GET",
        path="/v1/reviews/{id}",
        scope=Scope.REVIEWS_READ,
        summary="One review",
        operation="query GetReview($id: ID!) { review(id: $id) { ...Review } }",
        result="review",
        fragment="Review",
        resource="Review",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="CreateReview",
        method="POST",
        path="/v1/reviews",
        scope=Scope.REVIEWS_WRITE,
        summary="Record a customer's review of a delivered order",
        description="The order's customer is the review's. Only a `delivered` order (`order_not_delivered`), one "
        "review per order (`conflict`); an order of another store is `not_found`. New reviews are not approved and "
        "not featured.",
        operation=(
            "mutation CreateReview($input: CreateReviewInput!) "
            f"{{ createReview(input: $input) {{ review {{ ...Review }} {USER_ERRORS} }} }}"
        ),
        result="createReview.review",
        user_errors="createReview.userErrors",
        fragment="Review",
        resource="Review",
        status=201,
        body=inputs.CreateReviewBody,
        body_var="input",
    ),
    Endpoint(
        name="ModerateReview",
        method="PATCH",
        path="/v1/reviews/{id}",
        scope=Scope.REVIEWS_WRITE,
        summary="Approve, publish or feature a review",
        operation=(
            "mutation ModerateReview($input: ModerateReviewInput!) "
            f"{{ moderateReview(input: $input) {{ review {{ ...Review }} {USER_ERRORS} }} }}"
        ),
        result="moderateReview.review",
        user_errors="moderateReview.userErrors",
        fragment="Review",
        resource="Review",
        path_vars={"id": "input.id"},
        body=inputs.ModerateReviewBody,
        body_var="input",
    ),
    Endpoint(
        name="RespondToReview",
        method="POST",
        path="/v1/reviews/{id}/response",
        scope=Scope.REVIEWS_WRITE,
        summary="Answer a review",
        description="Responding again replaces the response; `responded_by` is the calling key's id.",
        operation=(
            "mutation RespondToReview($input: RespondToReviewInput!) "
            f"{{ respondToReview(input: $input) {{ review {{ ...Review }} {USER_ERRORS} }} }}"
        ),
        result="respondToReview.review",
        user_errors="respondToReview.userErrors",
        fragment="Review",
        resource="Review",
        path_vars={"id": "input.id"},
        body=inputs.RespondToReviewBody,
        body_var="input",
    ),
    Endpoint(
        name="DeleteReview",
        method="DELETE",
        path="/v1/reviews/{id}",
        scope=Scope.REVIEWS_WRITE,
        summary="Delete a review",
        description="The order can then be reviewed again.",
        operation=f"mutation DeleteReview($id: ID!) {{ deleteReview(id: $id) {{ ...DeletedReview {USER_ERRORS} }} }}",
        result="deleteReview",
        user_errors="deleteReview.userErrors",
        fragment="DeletedReview",
        resource="Review",
        path_vars={"id": "id"},
    ),
)

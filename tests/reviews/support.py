"""What the review tests share: a store with delivered orders, and the GraphQL documents."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, Order, Product, Store
from tests.support.factories import Key, create_customer, create_key, create_order, create_product, create_store

REVIEW_FIELDS = (
    "id orderId customerId rating productRating deliveryRating packagingRating comment isApproved isPublic "
    "isFeatured response { text respondedAt respondedBy } createdAt updatedAt"
)
ERRORS = "userErrors { field code message }"
CREATE = f"""
mutation($input: CreateReviewInput!) {{ createReview(input: $input) {{ review {{ {REVIEW_FIELDS} }} {ERRORS} }} }}
"""
MODERATE = f"""
mutation($input: ModerateReviewInput!) {{ moderateReview(input: $input) {{ review {{ {REVIEW_FIELDS} }} {ERRORS} }} }}
"""
RESPOND = f"""
mutation($input: RespondToReviewInput!) {{
  respondToReview(input: $input) {{ review {{ {REVIEW_FIELDS} }} {ERRORS} }}
}}
"""
DELETE = f"mutation($id: ID!) {{ deleteReview(id: $id) {{ deletedId {ERRORS} }} }}"
LIST = f"""
query($first: Int, $after: String, $filter: ReviewFilter) {{
  reviews(first: $first, after: $after, filter: $filter) {{
    totalCount nodes {{ {REVIEW_FIELDS} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
ONE = f"query($id: ID!) {{ review(id: $id) {{ {REVIEW_FIELDS} }} }}"
STATS = """
query($from: Date, $to: Date) {
  reviewStats(from: $from, to: $to) {
    totalReviews averageRating ratingDistribution { rating count } approvedCount pendingCount
  }
}
"""


@dataclass
class Shop:
    store: Store
    key: Key
    customer: Customer
    product: Product
    delivered: list[Order]
    pending: Order


async def make_shop(session: AsyncSession, *, delivered: int = 3) -> Shop:
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    product = await create_product(session, store)
    orders = [
        await create_order(session, store, customer, [(product, 1)], status="delivered") for _ in range(delivered)
    ]
    pending = await create_order(session, store, customer, [(product, 1)])
    await session.commit()
    return Shop(store, key, customer, product, orders, pending)


def review_input(order: Order, rating: int = 5, **more: object) -> dict[str, object]:
    return {"input": {"orderId": str(order.id), "rating": rating, **more}}

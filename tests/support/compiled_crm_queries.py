"""The customer-relationship reads in the differential tests of compiled execution: reviews (as a list, by id, their
statistics, a customer's and an order's), customer tags, delivery zones, a customer's addresses (with their zone),
analytics and ledgers. Their rows, with nulls, empty lists and another store's rows, and generated selections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, CustomerTag, Order, Store
from tests.support.factories import create_address, create_review, create_zone
from tests.support.query_strategies import Document, condition, connection, leaves, leaves_of, page_size, wrapped

BASE = datetime(2025, 3, 1, 9, 30, 0)
REVIEW_LEAVES = leaves_of("Review")
RESPONSE_LEAVES = leaves_of("ReviewResponse")
STATS_LEAVES = leaves_of("ReviewStats")
RATING_COUNT_LEAVES = leaves_of("RatingCount")
TAG_LEAVES = leaves_of("CustomerTag")
ZONE_LEAVES = leaves_of("DeliveryZone")
ADDRESS_LEAVES = leaves_of("CustomerAddress")
ANALYTICS_LEAVES = leaves_of("CustomerAnalytics")
STATUS_COUNT_LEAVES = leaves_of("OrderStatusCount")
TOP_PRODUCT_LEAVES = leaves_of("CustomerTopProduct")
LOYALTY_LEAVES = leaves_of("LoyaltyTransaction")
HOUSE_ACCOUNT_LEAVES = leaves_of("HouseAccountTransaction")
REVIEW_FILTERS = (
    "{isApproved: true}",
    "{minRating: 4}",
    "{maxRating: 2}",
    '{from: "2025-03-02"}',
    '{to: "2025-03-01"}',
    "{minRating: 9}",
    '{orderId: "abc"}',
)
NAMES = ("reviews", "review", "reviewStats", "customerTags", "deliveryZones")
CUSTOMER_RELATIONS = (
    "addresses",
    "defaultAddress",
    "reviews",
    "analytics",
    "loyaltyTransactions",
    "houseAccountTransactions",
)


@dataclass(frozen=True)
class CrmRows:
    review_ids: tuple[int, ...]
    foreign_review_id: int


async def seed_crm_rows(
    session: AsyncSession,
    store: Store,
    other_store: Store,
    customers: Sequence[Customer],
    orders: Sequence[Order],
    foreign: tuple[Customer, Order],
) -> CrmRows:
    """Zones for some wilayas; addresses with and without a zone, a default or none, a customer without any; tags
    differing in case; reviews with nulls, a response, of an order without a customer; and another store's."""
    await create_zone(session, store, [16, 9], name="Centre")
    await create_zone(session, store, [31], name="Ouest", home_fee=800, desk_fee=0)
    await create_zone(session, other_store, [16, 5], name="Foreign")
    first, _, third, fourth = customers
    await create_address(session, first, wilaya_id=16, is_default=True, created_at=BASE)
    bare = await create_address(session, first, wilaya_id=None, created_at=BASE + timedelta(hours=1))
    bare.label = None
    bare.commune = None
    await create_address(session, third, wilaya_id=5, created_at=BASE)
    await create_address(session, fourth, wilaya_id=31, is_default=True, created_at=BASE)
    foreign_customer, foreign_order = foreign
    await create_address(session, foreign_customer, wilaya_id=16, is_default=True)
    for customer, names in [(first, ["VIP", "wholesale"]), (third, ["vip"]), (foreign_customer, ["VIP"])]:
        for name in names:
            tag = CustomerTag(customer_id=customer.id, name_key=name.lower(), store_id=customer.store_id, name=name)
            session.add(tag)
    reviews = []
    for index, order in enumerate(orders[:6]):
        review = await create_review(
            session,
            store,
            order,
            rating=1 + index % 5,
            is_approved=index % 2 == 0,
            comment=None if index == 1 else f"review {index}",
            created_at=BASE + timedelta(days=index % 3, minutes=index),
        )
        if index == 0:
            review.product_rating, review.delivery_rating = 5, 4
            review.response_text, review.responded_at = "Merci !", BASE + timedelta(days=1)
        reviews.append(review.id)
    reviews.append((await create_review(session, store, orders[-2], rating=3, created_at=BASE)).id)
    foreign_review = await create_review(session, other_store, foreign_order)
    await session.flush()
    return CrmRows(tuple(reviews), foreign_review.id)


def _object(draw: st.DrawFn, doc: Document, type_name: str, names: tuple[str, ...]) -> str:
    return draw(wrapped(doc, type_name, draw(leaves(doc, names))))


def _relation(draw: st.DrawFn, doc: Document, name: str, selection: str) -> str:
    return f"{name}{draw(condition(doc))} {{ {selection} }}"


@st.composite
def _node(draw: st.DrawFn, doc: Document, type_name: str, names: tuple[str, ...]) -> str:
    return _object(draw, doc, type_name, names)


@st.composite
def review_node(draw: st.DrawFn, doc: Document) -> str:
    selections = draw(leaves(doc, REVIEW_LEAVES))
    if draw(st.booleans()):
        selections.append(_relation(draw, doc, "response", _object(draw, doc, "ReviewResponse", RESPONSE_LEAVES)))
    return draw(wrapped(doc, "Review", selections))


def _first(draw: st.DrawFn, doc: Document) -> str:
    return f"(first: {draw(page_size(doc, low=1, high=4))})" if draw(st.booleans()) else ""


@st.composite
def _address(draw: st.DrawFn, doc: Document) -> str:
    selections = draw(leaves(doc, ADDRESS_LEAVES))
    if draw(st.booleans()):
        selections.append(_relation(draw, doc, "deliveryZone", _object(draw, doc, "DeliveryZone", ZONE_LEAVES)))
    return draw(wrapped(doc, "CustomerAddress", selections))


@st.composite
def _analytics(draw: st.DrawFn, doc: Document, product: Callable[[Document], st.SearchStrategy[str]]) -> str:
    selections = draw(leaves(doc, ANALYTICS_LEAVES))
    if draw(st.booleans()):
        selections.append(f"ordersByStatus {{ {_object(draw, doc, 'OrderStatusCount', STATUS_COUNT_LEAVES)} }}")
    if draw(st.booleans()):
        # Now and then a limit the field refuses: graphql-core answers its error.
        limit = draw(st.sampled_from(["", "(limit: 1)", "(limit: 3)", "(limit: 0)"]))
        items = draw(leaves(doc, TOP_PRODUCT_LEAVES))
        if draw(st.booleans()):
            items.append(_relation(draw, doc, "product", draw(product(doc))))
        selections.append(f"topProducts{limit} {{ {draw(wrapped(doc, 'CustomerTopProduct', items))} }}")
    return draw(wrapped(doc, "CustomerAnalytics", selections))


@st.composite
def customer_relation(draw: st.DrawFn, doc: Document, product: Callable[[Document], st.SearchStrategy[str]]) -> str:
    """One of a customer's relations besides its orders."""
    name = draw(st.sampled_from(CUSTOMER_RELATIONS))
    if name in ("addresses", "defaultAddress"):
        return _relation(draw, doc, name, draw(_address(doc)))
    if name == "analytics":
        return _relation(draw, doc, name, draw(_analytics(doc, product)))
    if name == "reviews":
        node: st.SearchStrategy[str] = review_node(doc)
    elif name == "loyaltyTransactions":
        node = _node(doc, "LoyaltyTransaction", LOYALTY_LEAVES)
    else:
        node = _node(doc, "HouseAccountTransaction", HOUSE_ACCOUNT_LEAVES)
    written = _first(draw, doc)
    return f"{name}{written}{draw(condition(doc))} {{ {draw(connection(doc, node))} }}"


@st.composite
def crm_root(
    draw: st.DrawFn, doc: Document, rows: CrmRows, cursors: dict[str, tuple[str, ...]], which: str
) -> tuple[str, str]:
    """A root field of ``NAMES``: its written arguments and its selection."""
    if which == "customerTags":
        return "", _object(draw, doc, "CustomerTag", TAG_LEAVES)
    if which == "deliveryZones":
        return "", _object(draw, doc, "DeliveryZone", ZONE_LEAVES)
    if which == "reviewStats":
        arguments = [
            f'{name}: "{day}"'
            for name, day in [("from", "2025-03-02"), ("to", "2025-03-02")]
            if draw(st.integers(0, 2)) == 0
        ]
        selections = draw(leaves(doc, STATS_LEAVES))
        if draw(st.booleans()):
            selections.append(f"ratingDistribution {{ {_object(draw, doc, 'RatingCount', RATING_COUNT_LEAVES)} }}")
        written = f"({', '.join(arguments)})" if arguments else ""
        return written, draw(wrapped(doc, "ReviewStats", selections))
    if which == "review":
        ids = [*map(str, rows.review_ids * 2), str(rows.foreign_review_id), "999999999", "abc"]
        return f"(id: {doc.variable('ID!', draw(st.sampled_from(ids)))})", draw(review_node(doc))
    arguments = []
    if draw(st.booleans()):
        arguments.append(f"first: {draw(page_size(doc, low=1, high=4))}")
    if draw(st.integers(0, 3)) == 0:
        arguments.append(f"after: {doc.variable('String', draw(st.sampled_from([*cursors.get(which, ()), 'x'])))}")
    if draw(st.integers(0, 2)) == 0:
        arguments.append(f"filter: {draw(st.sampled_from(REVIEW_FILTERS))}")
    written = f"({', '.join(arguments)})" if arguments else ""
    selection: Any = draw(connection(doc, review_node(doc)))
    return written, selection

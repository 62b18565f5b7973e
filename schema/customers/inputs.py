"""The customer list's filter and sort, and the plain query values they become."""

from __future__ import annotations

import strawberry

from db.queries import customers
from db.queries.pagination import Ordering
from resolvers.core.filters import filter_text
from schema.core.enums import CustomerSortField, SortDirection
from schema.core.scalars import DateTime, Money
from storegraph.platform.errors import ValidationFailed
from storegraph.platform.phones import normalize_phone
from storegraph.platform.validation import has_control_characters
from storegraph.rules.customers.tags import MAX_TAG, MAX_TAGS, tag_key


@strawberry.input(description="All given conditions must hold.")
class CustomerFilter:
    phone: str | None = strawberry.field(
        default=None, description="Exact match after normalisation: 0555 00 00 00 finds +213555000000."
    )
    email: str | None = strawberry.field(default=None, description="Exact, case-sensitive match.")
    search: str | None = strawberry.field(
        default=None,
        description="Case-insensitive substring of first name, last name, email or phone; a whole phone number in "
        "any spelling (+213 555 00 00 00) finds its customer too.",
    )
    is_banned: bool | None = None
    is_archived: bool = strawberry.field(
        default=False, description="False (default): the customers that are not archived; true: only the archived."
    )
    tags: list[str] | None = strawberry.field(
        default=None, description=f"Customers with any of these tags (case-insensitive), at most {MAX_TAGS}."
    )
    min_spent: Money | None = strawberry.field(default=None, description="`totalSpent` at least this.")
    max_spent: Money | None = strawberry.field(default=None, description="`totalSpent` at most this.")
    has_orders: bool | None = strawberry.field(
        default=None, description="With at least one order that is not cancelled (`totalOrders` > 0), or none."
    )
    last_order_after: DateTime | None = strawberry.field(default=None, description="`lastOrderAt` at or after this.")
    updated_after: DateTime | None = strawberry.field(default=None, description="`updatedAt` at or after this.")
    created_after: DateTime | None = strawberry.field(default=None, description="`createdAt` at or after this.")
    accepts_marketing: bool | None = None


@strawberry.input(
    description="By `LAST_ORDER_AT`, customers without an order sort as the latest: last ascending, first "
    "descending (`filter: {hasOrders: true}` leaves them out). Ties are broken by id in the same direction."
)
class CustomerSort:
    field: CustomerSortField = CustomerSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


def customer_ordering(sort: CustomerSort | None) -> Ordering:
    if sort is None:
        return _DEFAULT_CUSTOMER_ORDERING
    return customers.customer_ordering(sort.field.value, descending=sort.direction is SortDirection.DESC)


# A list asked for without a sort (most are) takes its default's ordering, found once.
_DEFAULT_CUSTOMER_ORDERING = customer_ordering(CustomerSort())


def customer_condition(where: CustomerFilter | None, phone_region: str) -> customers.CustomerFilter:
    if where is None:
        return customers.NO_CUSTOMER_FILTER
    phone = filter_text("filter.phone", where.phone)
    if phone is not None:
        # An unparseable phone cannot match a stored (normalised) one; keep it so the filter finds nothing.
        phone = normalize_phone(phone, phone_region) or phone
    search = filter_text("filter.search", where.search)
    return customers.CustomerFilter(
        phone=phone,
        email=filter_text("filter.email", where.email),
        search=search,
        search_phone=normalize_phone(search, phone_region) if search and search.strip() else None,
        is_banned=where.is_banned,
        is_archived=where.is_archived,
        tags=_tag_keys(where.tags),
        min_spent=where.min_spent,
        max_spent=where.max_spent,
        has_orders=where.has_orders,
        last_order_after=where.last_order_after,
        updated_after=where.updated_after,
        created_after=where.created_after,
        accepts_marketing=where.accepts_marketing,
    )


def _tag_keys(tags: list[str] | None) -> tuple[str, ...] | None:
    """The tags' keys, as stored: trimmed and lowercased. An empty list finds no customer (any of none)."""
    if tags is None:
        return None
    if len(tags) > MAX_TAGS:
        raise ValidationFailed.single("filter.tags", "too_many", f"filter.tags must hold at most {MAX_TAGS} tags")
    for index, tag in enumerate(tags):
        if has_control_characters(tag):
            raise ValidationFailed.single(f"filter.tags[{index}]", "invalid", "control characters are not allowed")
    # A tag longer than any stored one finds nothing, like any tag no customer has.
    keys = (tag_key(tag.strip()) for tag in tags)
    return tuple(sorted({key for key in keys if 0 < len(key) <= 2 * MAX_TAG}))

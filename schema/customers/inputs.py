"""The customer list's filter and sort, and the plain query values they become."""

from __future__ import annotations

import strawberry

from db.queries import customers
from db.queries.pagination import Ordering
from resolvers.core.filters import filter_text
from schema.core.enums import CustomerSortField, SortDirection
from storegraph.platform.phones import normalize_phone


@strawberry.input(description="All given conditions must hold.")
class CustomerFilter:
    phone: str | None = strawberry.field(
        default=None, description="Exact match after normalisation: 0555 00 00 00 finds +213555000000."
    )
    email: str | None = strawberry.field(default=None, description="Exact, case-sensitive match.")
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of first name, last name, email or phone."
    )
    is_banned: bool | None = None
    is_archived: bool = strawberry.field(
        default=False, description="False (default): the customers that are not archived; true: only the archived."
    )


@strawberry.input
class CustomerSort:
    field: CustomerSortField = CustomerSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


def customer_ordering(sort: CustomerSort | None) -> Ordering:
    sort = sort or CustomerSort()
    return customers.customer_ordering(sort.field.value, descending=sort.direction is SortDirection.DESC)


def customer_condition(where: CustomerFilter | None, phone_region: str) -> customers.CustomerFilter:
    if where is None:
        return customers.CustomerFilter()
    phone = filter_text("filter.phone", where.phone)
    if phone is not None:
        # An unparseable phone cannot match a stored (normalised) one; keep it so the filter finds nothing.
        phone = normalize_phone(phone, phone_region) or phone
    return customers.CustomerFilter(
        phone=phone,
        email=filter_text("filter.email", where.email),
        search=filter_text("filter.search", where.search),
        is_banned=where.is_banned,
        is_archived=where.is_archived,
    )

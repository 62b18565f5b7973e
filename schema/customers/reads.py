"""The customer reads behind the schema's fields: each root field's body, and the batched loads compiled
execution (schema/core/compiled/) uses for a whole level of parents, answering exactly what the fields do."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from sqlalchemy import Row

from resolvers.addresses import address_books, default_of
from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.customers import (
    customer_tags,
    customers_orders_pages,
    customers_page,
    dial_code,
    get_customer,
    tags_of_rows,
)
from resolvers.delivery import zones_of_wilayas
from resolvers.ledgers import HOUSE_ACCOUNT, LOYALTY, ledger_pages
from schema.core.compiled.plan import BY_PARENT_ID, BatchedField, root_field
from schema.customers import analytics
from schema.customers.inputs import CustomerFilter, CustomerSort, customer_condition, customer_ordering
from schema.orders.inputs import OrderFilter, order_condition


async def customers(
    context: Context,
    first: int = 50,
    after: str | None = None,
    filter: CustomerFilter | None = None,
    sort: CustomerSort | None = None,
) -> PageSource:
    condition = customer_condition(filter, context.principal.phone_region)
    return await customers_page(context, first, after, condition, customer_ordering(sort))


async def customer(context: Context, id: str, *, at_once: bool = False) -> Row[Any]:
    return await get_customer(context, id, at_once=at_once)


async def orders_of_customers(context: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[PageSource]:
    """``Customer.orders`` for every customer of a level, in one statement."""
    first: int = arguments.get("first", 50)
    after: str | None = arguments.get("after")
    filter: OrderFilter | None = arguments.get("filter")
    ids = [int(parent.id) for parent in parents]
    return await customers_orders_pages(context, ids, first, after, order_condition(filter))


async def addresses_of_customers(context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[Any]:
    """``Customer.addresses`` for every customer of a level, in the one statement its DataLoader batches them into."""
    return list(await address_books(context, [int(parent.id) for parent in parents]))


async def default_addresses_of_customers(
    context: Context, parents: Sequence[Any], _arguments: dict[str, Any]
) -> list[Any]:
    """``Customer.defaultAddress``: from the same books (no statement when ``addresses`` loaded them already)."""
    return [default_of(book) for book in await address_books(context, [int(parent.id) for parent in parents])]


async def zones_of_addresses(context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[Any]:
    """``CustomerAddress.deliveryZone`` for every address of a level, from the one load of the store's zones."""
    return list(await zones_of_wilayas(context, [parent.wilaya_id for parent in parents]))


async def tags_of(context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[Any]:
    """``Customer.tags`` for every customer of a level: off the rows, which a plan loads with their tags (it reads
    the ``tags`` column), else in one statement."""
    return list(await tags_of_rows(context, parents))


async def dial_codes_of(context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[Any]:
    """``Customer.dialCode``, read off each customer's phone: no statement."""
    return [dial_code(context, parent.phone) for parent in parents]


async def loyalty_of_customers(context: Context, parents: Sequence[Any], arguments: dict[str, Any]) -> list[PageSource]:
    """``Customer.loyaltyTransactions`` for every customer of a level, in one statement."""
    ids = [int(parent.id) for parent in parents]
    return await ledger_pages(context, LOYALTY, ids, arguments.get("first", 50), arguments.get("after"))


async def house_accounts_of_customers(
    context: Context, parents: Sequence[Any], arguments: dict[str, Any]
) -> list[PageSource]:
    """``Customer.houseAccountTransactions`` for every customer of a level, in one statement."""
    ids = [int(parent.id) for parent in parents]
    return await ledger_pages(context, HOUSE_ACCOUNT, ids, arguments.get("first", 50), arguments.get("after"))


async def store_customer_tags(context: Context) -> list[Row[Any]]:
    return await customer_tags(context)


BATCHED: dict[str, BatchedField] = {
    # Each selection of the list runs its own statement; customers by id are batched by a DataLoader (of the
    # columns the plan reads: resolvers/customers.py ``customers_by_id``).
    "Query.customers": root_field(customers, across_fields=False),
    "Query.customer": root_field(partial(customer, at_once=True), across_fields=True),
    "Customer.orders": BatchedField(orders_of_customers, reads=BY_PARENT_ID),
    # Through the request's loaders (books by customer, the store's zones), which the fields' resolvers share.
    "Customer.addresses": BatchedField(addresses_of_customers, reads=BY_PARENT_ID),
    "Customer.defaultAddress": BatchedField(default_addresses_of_customers, reads=BY_PARENT_ID),
    "CustomerAddress.deliveryZone": BatchedField(zones_of_addresses),
    "Customer.tags": BatchedField(tags_of, reads=frozenset({"id", "tags"})),
    "Customer.dialCode": BatchedField(dial_codes_of, reads=frozenset({"phone"})),
    "Customer.loyaltyTransactions": BatchedField(loyalty_of_customers, reads=BY_PARENT_ID),
    "Customer.houseAccountTransactions": BatchedField(house_accounts_of_customers, reads=BY_PARENT_ID),
    "Query.customerTags": root_field(store_customer_tags, across_fields=False),
    **analytics.BATCHED,
}

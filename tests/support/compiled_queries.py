"""Data and generated queries for the differential tests of compiled execution (schema/core/compiled/): queries
over what the compiler covers (customers, orders, products and landing pages, each as a list and by id, and their
relations: a customer's orders, an order's items, status history and customer, an item's and a landing page's
product; the store-level and customer-relationship reads of tests/support/compiled_store_queries.py and
compiled_crm_queries.py; fields, aliases, fragments, inline fragments,
``@skip``/``@include`` with literals and variables, variables with defaults, page sizes, cursors, filters, sorts),
with a few of what it leaves to graphql-core mixed in, and the answers compared byte for byte."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, HouseAccountTransaction, LoyaltyTransaction, OrderItem
from storegraph.platform.auth.scopes import Scope
from tests.support.compiled_crm_queries import NAMES as CRM_NAMES
from tests.support.compiled_crm_queries import CrmRows, crm_root, customer_relation, review_node, seed_crm_rows
from tests.support.compiled_store_queries import NAMES as STORE_NAMES
from tests.support.compiled_store_queries import StoreRows, seed_store_rows, store_root
from tests.support.factories import (
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_store,
)
from tests.support.query_strategies import (
    Document,
    condition,
    connection,
    leaves,
    leaves_of,
    page_size,
    relation,
    wrapped,
)

BASE = datetime(2025, 3, 1, 9, 30, 0)


CUSTOMER_LEAVES = leaves_of("Customer")
ORDER_LEAVES = leaves_of("Order")
ORDER_ITEM_LEAVES = leaves_of("OrderItem")
STATUS_CHANGE_LEAVES = leaves_of("OrderStatusChange")
PRODUCT_LEAVES = leaves_of("Product")
LANDING_PAGE_LEAVES = leaves_of("LandingPage")
CUSTOMER_FILTERS = (
    "{isBanned: true}",
    "{isBanned: false}",
    '{search: "ami"}',
    '{email: "nobody@example.com"}',
    '{phone: "0555 00 00 00"}',
    '{search: "  "}',
)
CUSTOMER_SORTS = (
    "{field: TOTAL_SPENT, direction: ASC}",
    "{field: TOTAL_SPENT}",
    "{field: CREATED_AT}",
    "{field: TOTAL_ORDERS, direction: DESC}",
)
ORDER_FILTERS = ("{status: PENDING}", "{status: DELIVERED}", '{since: "2025-03-01T12:00:00Z"}')
# The store's orders: the customer's filters, and a customer (the first one's, or a refused id) and a payment status.
ROOT_ORDER_FILTERS = (*ORDER_FILTERS, '{customerId: "abc"}', "{paymentStatus: PENDING}", "{status: CANCELLED}")
ORDER_SORTS = ("{field: TOTAL, direction: ASC}", "{field: UPDATED_AT}", "{field: CREATED_AT, direction: ASC}")
PRODUCT_FILTERS = ("{status: ACTIVE}", "{status: DRAFT}", '{search: "cotton"}', '{search: "bare"}', '{search: ""}')
PRODUCT_SORTS = ("{field: PRICE, direction: ASC}", "{field: PRICE}", "{field: UPDATED_AT, direction: ASC}")
LANDING_PAGE_FILTERS = ("{status: PUBLISHED}", "{status: DRAFT}")


NO_STORE_ROWS = StoreRows((), 0)
NO_CRM_ROWS = CrmRows((), 0)


@dataclass(frozen=True)
class Seeded:
    """A store whose customers have nulls, no orders, more orders than a page and a ban; orders without a customer,
    without items, with an item whose product is gone; products with nulls; landing pages with a product, without
    one, and with another store's; and another store's rows, which lookups by id must not find."""

    token: str
    # A key of the same store with ``orders:read`` only: customers are refused to it.
    orders_only_token: str
    customer_ids: tuple[int, ...]
    foreign_customer_id: int
    order_ids: tuple[int, ...] = ()
    foreign_order_id: int = 0
    product_ids: tuple[int, ...] = ()
    foreign_product_id: int = 0
    landing_page_ids: tuple[int, ...] = ()
    foreign_landing_page_id: int = 0
    store_rows: StoreRows = NO_STORE_ROWS
    crm_rows: CrmRows = NO_CRM_ROWS


def _ledgers(session: AsyncSession, customer: Customer, *, entries: int) -> None:
    """``entries`` rows in each of the customer's ledgers (more than a page of 3 for the first customer, none for
    the second), and the balances they sum to on the customer."""
    store_id, customer_id = customer.store_id, customer.id
    customer.loyalty_balance = 5 * entries * (entries + 1)
    customer.house_account_balance = 100 * entries
    customer.is_house_account_enabled = entries > 0
    customer.house_account_limit = 1000 if entries > 2 else None
    for index in range(entries):
        when = BASE + timedelta(minutes=index)
        session.add(
            LoyaltyTransaction(
                store_id=store_id,
                customer_id=customer_id,
                kind="adjustment",
                delta=10 * (index + 1),
                reason=f"gift {index}",
                balance_after=5 * (index + 1) * (index + 2),
                created_at=when,
            )
        )
        session.add(
            HouseAccountTransaction(
                store_id=store_id,
                customer_id=customer_id,
                kind="charge",
                amount=100,
                reason=f"order {index}",
                balance_after=100 * (index + 1),
                created_at=when,
            )
        )


async def seed_compiled(session: AsyncSession) -> Seeded:
    store = await create_store(session)
    key = await create_key(session, store)
    orders_only = await create_key(session, store, scopes=(Scope.ORDERS_READ,))
    product = await create_product(session, store, price=1200)
    bare = await create_product(session, store, name="Bare", status="draft", created_at=BASE)
    bare.sku = None
    bare.description = None
    described = await create_product(session, store, name="Described", price=900, created_at=BASE)
    described.description = "Soft cotton"
    described.compare_price = 1100
    described.cost_price = 500
    ids = []
    order_ids = []
    customers = []
    placed_orders = []
    # (email, orders, banned): nulls, an empty list, more orders than a page of 5, a ban.
    for number, (email, orders, banned) in enumerate(
        [("amina@example.com", 7, False), (None, 0, False), ("karim@example.com", 2, True), (None, 1, False)]
    ):
        customer = await create_customer(
            session,
            store,
            first_name="Amine" if number % 2 else "Sara",
            email=email,
            is_banned=banned,
            total_orders=orders,
            total_spent=orders * 1600,
            created_at=BASE + timedelta(hours=number),
        )
        if banned:
            customer.ban_reason = "chargebacks"
            customer.banned_at = BASE + timedelta(days=1)
        for index in range(orders):
            placed = await create_order(
                session,
                store,
                customer,
                [(product, 1 + index % 2), *([(described, 1)] if index % 3 == 1 else [])],
                status="delivered" if index % 3 == 0 else "pending",
                created_at=BASE + timedelta(hours=number, minutes=index),
            )
            order_ids.append(placed.id)
            placed_orders.append(placed)
        ids.append(customer.id)
        customers.append(customer)
        _ledgers(session, customer, entries=(4, 0, 1, 2)[number])
    # An order whose customer is gone and whose product was deleted since; one without items.
    orphan = await create_order(session, store, customer, [(bare, 3)], created_at=BASE - timedelta(days=1))
    orphan.customer_id = None
    orphan.customer_email = "gone@example.com"
    await session.execute(update(OrderItem).where(OrderItem.order_id == orphan.id).values(product_id=None))
    empty = await create_order(session, store, customer, [], status="cancelled", created_at=BASE - timedelta(days=2))
    order_ids += [orphan.id, empty.id]
    placed_orders += [orphan, empty]
    other_store = await create_store(session)
    other_product = await create_product(session, other_store)
    foreign = await create_customer(session, other_store, first_name="Foreign")
    foreign_order = await create_order(session, other_store, foreign, [(other_product, 1)])
    pages = [
        await create_landing_page(session, store, product=product),
        await create_landing_page(session, store, title="Plain"),
        await create_landing_page(session, store, title="Borrowed", product=other_product),
    ]
    foreign_page = await create_landing_page(session, other_store, product=other_product)
    store_rows = await seed_store_rows(session, store, other_store)
    crm_rows = await seed_crm_rows(session, store, other_store, customers, placed_orders, (foreign, foreign_order))
    await session.commit()
    return Seeded(
        key.token,
        orders_only.token,
        tuple(ids),
        foreign.id,
        tuple(order_ids),
        foreign_order.id,
        (product.id, bare.id, described.id),
        other_product.id,
        tuple(page.id for page in pages),
        foreign_page.id,
        store_rows,
        crm_rows,
    )


@st.composite
def product_node(draw: st.DrawFn, doc: Document) -> str:
    return draw(wrapped(doc, "Product", draw(leaves(doc, PRODUCT_LEAVES))))


@st.composite
def landing_page_node(draw: st.DrawFn, doc: Document) -> str:
    selections = draw(leaves(doc, LANDING_PAGE_LEAVES))
    if draw(st.booleans()):
        selections.append(relation(draw, doc, "product", draw(product_node(doc))))
    return draw(wrapped(doc, "LandingPage", selections))


@st.composite
def order_node(draw: st.DrawFn, doc: Document, depth: int) -> str:
    """An order's leaves, and while ``depth`` lasts its relations: items (with their product), status history,
    customer (with its orders one level less deep)."""
    selections = draw(leaves(doc, ORDER_LEAVES))
    names = ["items", "statusHistory", "customer", "review"]
    relations = draw(st.lists(st.sampled_from(names), unique=True)) if depth else []
    for name in relations:
        if name == "items":
            items = draw(leaves(doc, ORDER_ITEM_LEAVES))
            if draw(st.booleans()):
                items.append(relation(draw, doc, "product", draw(product_node(doc))))
            selections.append(relation(draw, doc, name, draw(wrapped(doc, "OrderItem", items))))
        elif name == "review":
            selections.append(relation(draw, doc, name, draw(review_node(doc))))
        elif name == "statusHistory":
            changes = draw(wrapped(doc, "OrderStatusChange", draw(leaves(doc, STATUS_CHANGE_LEAVES))))
            selections.append(relation(draw, doc, name, changes))
        else:
            selections.append(relation(draw, doc, name, draw(customer_node(doc, depth - 1))))
    return draw(wrapped(doc, "Order", selections))


@st.composite
def customer_node(draw: st.DrawFn, doc: Document, depth: int) -> str:
    selections = draw(leaves(doc, CUSTOMER_LEAVES))
    if depth and draw(st.booleans()):
        arguments = [f"first: {draw(page_size(doc, low=1, high=8))}"]
        if draw(st.integers(0, 4)) == 0:
            arguments.append(f"filter: {draw(st.sampled_from(ORDER_FILTERS))}")
        if draw(st.integers(0, 19)) == 0:
            arguments.append('after: "not a cursor"')
        orders = draw(connection(doc, order_node(doc, depth - 1)))
        selections.append(f"orders({', '.join(arguments)}) {{ {orders} }}")
    if depth and draw(st.booleans()):
        selections.append(draw(customer_relation(doc, product_node)))
    return draw(wrapped(doc, "Customer", selections))


@dataclass(frozen=True)
class Listed:
    """A root list: its filters and sorts as written in a document, and how its nodes are selected."""

    filters: tuple[str, ...]
    sorts: tuple[str, ...]
    node: Any


LISTS = {
    "customers": Listed(CUSTOMER_FILTERS, CUSTOMER_SORTS, lambda doc: customer_node(doc, 2)),
    "orders": Listed(ROOT_ORDER_FILTERS, ORDER_SORTS, lambda doc: order_node(doc, 2)),
    "products": Listed(PRODUCT_FILTERS, PRODUCT_SORTS, product_node),
    "landingPages": Listed(LANDING_PAGE_FILTERS, (), landing_page_node),
}
ROOTS = (
    *LISTS,
    *("customers", "orders", "customer", "order", "product", "landingPage", "__typename"),
    *STORE_NAMES,
    *CRM_NAMES,
)


def by_id(seeded: Seeded, name: str) -> tuple[list[int], int, Any]:
    """The store's ids, another store's id, and the node selection of a root field by id."""
    if name == "customer":
        return list(seeded.customer_ids), seeded.foreign_customer_id, lambda doc: customer_node(doc, 2)
    if name == "order":
        return list(seeded.order_ids), seeded.foreign_order_id, lambda doc: order_node(doc, 2)
    if name == "product":
        return list(seeded.product_ids), seeded.foreign_product_id, product_node
    return list(seeded.landing_page_ids), seeded.foreign_landing_page_id, landing_page_node


@st.composite
def root_field(draw: st.DrawFn, doc: Document, seeded: Seeded, cursors: dict[str, tuple[str, ...]], index: int) -> str:
    """A root field; all but the first have an alias of their own (two fields under one key must not conflict)."""
    which = draw(st.sampled_from(ROOTS))
    alias = draw(st.sampled_from(["", "", "again: "])) if index == 0 else f"r{index}: "
    if which == "__typename":
        return f"{alias}__typename"
    if which in STORE_NAMES or which in CRM_NAMES:
        if which in STORE_NAMES:
            written, selection = draw(store_root(doc, seeded.store_rows, cursors, which))
        else:
            written, selection = draw(crm_root(doc, seeded.crm_rows, cursors, which))
        return f"{alias}{which}{written}{draw(condition(doc))} {{ {selection} }}"
    if which not in LISTS:
        # Mostly the store's own; now and then one graphql-core refuses (another store's, none, not an id).
        own, foreign, node = by_id(seeded, which)
        ids = [*map(str, own * 4), str(foreign), "999999999", "abc"]
        row_id = doc.variable("ID!", draw(st.sampled_from(ids)))
        return f"{alias}{which}(id: {row_id}){draw(condition(doc))} {{ {draw(node(doc))} }}"
    listed = LISTS[which]
    arguments = []
    if draw(st.booleans()):
        arguments.append(f"first: {draw(page_size(doc, low=1, high=6))}")
    if draw(st.integers(0, 3)) == 0:
        after = draw(st.sampled_from([*cursors.get(which, ()) * 3, "garbage"]))
        arguments.append(f"after: {doc.variable('String', after)}")
    if draw(st.integers(0, 3)) == 0:
        filters = listed.filters
        if which == "orders":
            filters = (*filters, f'{{customerId: "{seeded.customer_ids[0]}"}}')
        arguments.append(f"filter: {draw(st.sampled_from(filters))}")
    if listed.sorts and draw(st.integers(0, 4)) == 0:
        arguments.append(f"sort: {draw(st.sampled_from(listed.sorts))}")
    written = f"({', '.join(arguments)})" if arguments else ""
    selection = draw(connection(doc, listed.node(doc)))
    return f"{alias}{which}{written}{draw(condition(doc))} {{ {selection} }}"


@st.composite
def generated_request(draw: st.DrawFn, seeded: Seeded, cursors: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    doc = Document()
    # Mostly one: a plan selects a field that graphql-core batches across places (a customer by id, a relation,
    # a nested totalCount) at one place only, and leaves the rest to graphql-core.
    count = draw(st.sampled_from([1, 1, 1, 2, 3]))
    fields = [draw(root_field(doc, seeded, cursors, index)) for index in range(count)]
    return {"query": doc.text(" ".join(fields)), "variables": doc.values}


def answer(response: httpx.Response) -> bytes:
    """The response as the client gets it, byte for byte, but for the cost bucket's state (``throttleStatus``),
    which every request changes."""
    payload = orjson.loads(response.content)
    cost = (payload.get("extensions") or {}).get("cost")
    if cost is not None:
        cost["throttleStatus"] = None
    return orjson.dumps([response.status_code, payload])

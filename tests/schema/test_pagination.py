"""Keyset pagination of every list, and the safety of its cursors (bound to list, ordering and store)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest

from db.models import Store
from tests.support.factories import (
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_store,
)

BASE = datetime(2024, 1, 1, 12, 0, 0)
PAGE_FIELDS = "totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"

CUSTOMERS = f"""
query($first: Int!, $after: String, $sort: CustomerSort) {{
  customers(first: $first, after: $after, sort: $sort) {{ {PAGE_FIELDS} }}
}}
"""
ORDERS = f"""
query($first: Int!, $after: String, $sort: OrderSort) {{
  orders(first: $first, after: $after, sort: $sort) {{ {PAGE_FIELDS} }}
}}
"""
PRODUCTS = f"""
query($first: Int!, $after: String, $sort: ProductSort) {{
  products(first: $first, after: $after, sort: $sort) {{ {PAGE_FIELDS} }}
}}
"""
LANDING_PAGES = f"""
query($first: Int!, $after: String) {{
  landingPages(first: $first, after: $after) {{ {PAGE_FIELDS} }}
}}
"""
CUSTOMER_ORDERS = f"""
query($id: ID!, $first: Int!, $after: String) {{
  customer(id: $id) {{ orders(first: $first, after: $after) {{ {PAGE_FIELDS} }} }}
}}
"""


def connection_of(payload: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    assert "errors" not in payload, payload
    data: Any = payload["data"]
    for name in path:
        data = data[name]
    return dict(data)


async def walk(
    gql, key, document: str, path: tuple[str, ...], page_size: int, variables: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every page of a list, following ``endCursor`` while ``hasNextPage``."""
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        payload = await gql.query(
            document, {**(variables or {}), "first": page_size, "after": after}, headers=key.headers
        )
        page = connection_of(payload, path)
        pages.append(page)
        assert len(pages) <= 100, "the walk does not end"
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


def assert_walk(pages: list[dict[str, Any]], expected: list[int], page_size: int) -> None:
    """The pages visit ``expected`` exactly once, in order, with consistent counts, flags and cursors."""
    visited = [edge["node"]["id"] for page in pages for edge in page["edges"]]
    assert visited == [str(row_id) for row_id in expected]
    assert len(pages) == max(1, -(-len(expected) // page_size))
    for number, page in enumerate(pages):
        last = number == len(pages) - 1
        edges = page["edges"]
        info = page["pageInfo"]
        assert page["totalCount"] == len(expected)
        assert info["hasNextPage"] is not last
        assert info["hasPreviousPage"] is (number > 0)
        assert len(edges) == (page_size if not last else len(expected) - page_size * number)
        if edges:
            assert info["startCursor"] == edges[0]["cursor"]
            assert info["endCursor"] == edges[-1]["cursor"]
        else:
            assert info["startCursor"] is info["endCursor"] is None


def expected_order(rows: list[Any], attribute: str, descending: bool) -> list[int]:
    """The contract: by the sort value, ties by id, both in the sort's direction."""
    keyed = sorted(rows, key=lambda row: (getattr(row, attribute), row.id), reverse=descending)
    return [row.id for row in keyed]


def error_code(payload: dict[str, Any]) -> str:
    assert payload.get("errors"), payload
    return str(payload["errors"][0]["extensions"]["code"])


# --- walking every list ----------------------------------------------------------------------------------

CUSTOMER_SORTS = [
    ("CREATED_AT", "created_at"),
    ("UPDATED_AT", "updated_at"),
    ("TOTAL_SPENT", "total_spent"),
    ("TOTAL_ORDERS", "total_orders"),
]


async def _customers_with_ties(session, count: int = 13):
    store = await create_store(session)
    key = await create_key(session, store)
    customers = []
    for number in range(count):
        # Few distinct values for each sort, in an order unrelated to the insertion (id) order.
        customer = await create_customer(
            session,
            store,
            total_spent=[5000, 0, 12000][number % 3],
            total_orders=[2, 7, 0, 2][number % 4],
            created_at=BASE + timedelta(days=[3, 1, 2, 1, 3][number % 5]),
        )
        customer.updated_at = BASE + timedelta(hours=[2, 9, 2, 5, 9, 1][number % 6])
        customers.append(customer)
    await session.flush()
    await session.commit()
    return key, customers


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize(("field", "attribute"), CUSTOMER_SORTS)
async def test_walking_customers_visits_each_once_in_sort_order_with_ties_by_id(
    session, gql, field, attribute, direction
):
    key, customers = await _customers_with_ties(session)

    pages = await walk(gql, key, CUSTOMERS, ("customers",), 3, {"sort": {"field": field, "direction": direction}})

    assert_walk(pages, expected_order(customers, attribute, direction == "DESC"), 3)


async def test_customers_default_to_newest_first(session, gql):
    key, customers = await _customers_with_ties(session)

    pages = await walk(gql, key, CUSTOMERS, ("customers",), 4)

    assert_walk(pages, expected_order(customers, "created_at", descending=True), 4)


async def test_a_page_size_that_divides_the_list_ends_without_an_empty_page(session, gql):
    key, customers = await _customers_with_ties(session, count=6)

    pages = await walk(gql, key, CUSTOMERS, ("customers",), 3)

    assert len(pages) == 2
    assert_walk(pages, expected_order(customers, "created_at", descending=True), 3)


async def test_an_empty_list_is_one_page_without_cursors(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    pages = await walk(gql, key, CUSTOMERS, ("customers",), 5)

    assert_walk(pages, [], 5)


async def test_a_row_added_before_the_cursor_position_does_not_shift_the_rest_of_the_walk(session, gql):
    key, customers = await _customers_with_ties(session, count=6)
    first = connection_of(await gql.query(CUSTOMERS, {"first": 3}, headers=key.headers), ("customers",))
    store = await session.get(Store, customers[0].store_id)
    await create_customer(session, store, created_at=BASE + timedelta(days=30))
    await session.commit()

    second = connection_of(
        await gql.query(CUSTOMERS, {"first": 3, "after": first["pageInfo"]["endCursor"]}, headers=key.headers),
        ("customers",),
    )

    visited = [edge["node"]["id"] for page in (first, second) for edge in page["edges"]]
    assert visited == [str(row_id) for row_id in expected_order(customers, "created_at", descending=True)]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["totalCount"] == 7


async def _store_with_orders(session, count: int = 11):
    store = await create_store(session)
    key = await create_key(session, store)
    products = [await create_product(session, store, price=price) for price in (1000, 2500)]
    alice = await create_customer(session, store)
    bob = await create_customer(session, store)
    orders = []
    for number in range(count):
        owner = alice if number % 3 else bob
        product = products[number % 2]
        order = await create_order(
            session,
            store,
            owner,
            [(product, 1 + number % 2)],
            created_at=BASE + timedelta(hours=[4, 1, 4, 2, 1, 4, 3][number % 7]),
        )
        order.updated_at = BASE + timedelta(minutes=[5, 5, 1, 9][number % 4])
        orders.append(order)
    await session.flush()
    await session.commit()
    return key, orders, alice, bob


async def test_walking_orders_defaults_to_newest_first_with_ties_by_id(session, gql):
    key, orders, _, _ = await _store_with_orders(session)

    pages = await walk(gql, key, ORDERS, ("orders",), 4)

    assert_walk(pages, expected_order(orders, "created_at", descending=True), 4)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize(
    ("field", "attribute"), [("CREATED_AT", "created_at"), ("UPDATED_AT", "updated_at"), ("TOTAL", "total")]
)
async def test_walking_orders_in_each_sort(session, gql, field, attribute, direction):
    key, orders, _, _ = await _store_with_orders(session)

    pages = await walk(gql, key, ORDERS, ("orders",), 3, {"sort": {"field": field, "direction": direction}})

    assert_walk(pages, expected_order(orders, attribute, direction == "DESC"), 3)


async def test_walking_a_customers_orders_visits_only_theirs_newest_first(session, gql):
    key, orders, alice, _ = await _store_with_orders(session)
    theirs = [order for order in orders if order.customer_id == alice.id]

    pages = await walk(gql, key, CUSTOMER_ORDERS, ("customer", "orders"), 2, {"id": str(alice.id)})

    assert_walk(pages, expected_order(theirs, "created_at", descending=True), 2)


async def _store_with_products(session, count: int = 10):
    store = await create_store(session)
    key = await create_key(session, store)
    products = []
    for number in range(count):
        product = await create_product(
            session,
            store,
            price=[1500, 900, 1500, 300][number % 4],
            created_at=BASE + timedelta(days=[2, 2, 1, 3, 1][number % 5]),
        )
        product.updated_at = BASE + timedelta(days=[1, 4, 4][number % 3])
        products.append(product)
    await session.flush()
    await session.commit()
    return key, products


async def test_walking_products_defaults_to_newest_first(session, gql):
    key, products = await _store_with_products(session)

    pages = await walk(gql, key, PRODUCTS, ("products",), 3)

    assert_walk(pages, expected_order(products, "created_at", descending=True), 3)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize(
    ("field", "attribute"), [("CREATED_AT", "created_at"), ("UPDATED_AT", "updated_at"), ("PRICE", "price")]
)
async def test_walking_products_in_each_sort(session, gql, field, attribute, direction):
    key, products = await _store_with_products(session)

    pages = await walk(gql, key, PRODUCTS, ("products",), 4, {"sort": {"field": field, "direction": direction}})

    assert_walk(pages, expected_order(products, attribute, direction == "DESC"), 4)


async def test_walking_landing_pages_newest_first_with_ties_by_id(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    pages_made = []
    for number in range(8):
        page = await create_landing_page(session, store, title=f"Page {number}")
        page.created_at = BASE + timedelta(days=[1, 3, 1, 2][number % 4])
        pages_made.append(page)
    await session.flush()
    await session.commit()

    pages = await walk(gql, key, LANDING_PAGES, ("landingPages",), 3)

    assert_walk(pages, expected_order(pages_made, "created_at", descending=True), 3)


async def test_lists_never_show_another_stores_rows(session, gql):
    key, customers = await _customers_with_ties(session, count=3)
    await _customers_with_ties(session, count=4)

    pages = await walk(gql, key, CUSTOMERS, ("customers",), 2)

    assert_walk(pages, expected_order(customers, "created_at", descending=True), 2)


# --- cursor safety ---------------------------------------------------------------------------------------


async def _first_customer_cursor(session, gql) -> tuple[Any, str]:
    key, _ = await _customers_with_ties(session, count=3)
    page = connection_of(await gql.query(CUSTOMERS, {"first": 1}, headers=key.headers), ("customers",))
    return key, page["pageInfo"]["endCursor"]


def _flip(cursor: str) -> str:
    middle = len(cursor) // 2
    return cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]


def _standard_alphabet(cursor: str) -> str:
    """The same bytes in base64's standard alphabet, which a lenient decoder would accept."""
    for urlsafe, standard in (("-", "+"), ("_", "/")):
        if urlsafe in cursor:
            return cursor.replace(urlsafe, standard, 1)
    return _flip(cursor)


TAMPERINGS = {
    "flip one character": _flip,
    "flip the last character": lambda cursor: cursor[:-1] + ("A" if cursor[-1] != "A" else "B"),
    "truncate": lambda cursor: cursor[:-1],
    "truncate to half": lambda cursor: cursor[: len(cursor) // 2],
    "append": lambda cursor: cursor + "A",
    "append padding": lambda cursor: cursor + "==",
    "standard base64 alphabet": _standard_alphabet,
    "random base64": lambda _: base64.urlsafe_b64encode(secrets.token_bytes(30)).decode().rstrip("="),
    "empty string": lambda _: "",
    "non-ascii": lambda cursor: cursor[:-1] + "é",
    "whitespace": lambda cursor: f" {cursor} ",
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
async def test_a_tampered_cursor_is_invalid_cursor(session, gql, tampering):
    key, cursor = await _first_customer_cursor(session, gql)
    tampered = TAMPERINGS[tampering](cursor)
    assert tampered != cursor

    payload = await gql.query(CUSTOMERS, {"first": 2, "after": tampered}, headers=key.headers)

    assert error_code(payload) == "invalid_cursor"
    assert payload["data"] == {"customers": None}


async def test_the_untampered_cursor_works(session, gql):
    key, cursor = await _first_customer_cursor(session, gql)

    payload = await gql.query(CUSTOMERS, {"first": 2, "after": cursor}, headers=key.headers)

    assert len(connection_of(payload, ("customers",))["edges"]) == 2


async def test_a_products_cursor_is_invalid_on_customers(session, gql):
    key, _ = await _store_with_products(session, count=2)
    await _customers_with_ties(session, count=2)
    products = connection_of(await gql.query(PRODUCTS, {"first": 1}, headers=key.headers), ("products",))

    payload = await gql.query(CUSTOMERS, {"first": 1, "after": products["pageInfo"]["endCursor"]}, headers=key.headers)

    assert error_code(payload) == "invalid_cursor"


async def test_a_cursor_of_one_sort_is_invalid_with_another_sort(session, gql):
    key, _ = await _customers_with_ties(session, count=3)
    by_spent = {"field": "TOTAL_SPENT", "direction": "DESC"}
    page = connection_of(
        await gql.query(CUSTOMERS, {"first": 1, "sort": by_spent}, headers=key.headers), ("customers",)
    )

    payload = await gql.query(
        CUSTOMERS,
        {"first": 1, "after": page["pageInfo"]["endCursor"], "sort": {"field": "CREATED_AT", "direction": "DESC"}},
        headers=key.headers,
    )

    assert error_code(payload) == "invalid_cursor"


async def test_a_cursor_of_one_direction_is_invalid_in_the_other(session, gql):
    key, _ = await _customers_with_ties(session, count=3)
    page = connection_of(
        await gql.query(
            CUSTOMERS, {"first": 1, "sort": {"field": "CREATED_AT", "direction": "ASC"}}, headers=key.headers
        ),
        ("customers",),
    )

    payload = await gql.query(CUSTOMERS, {"first": 1, "after": page["pageInfo"]["endCursor"]}, headers=key.headers)

    assert error_code(payload) == "invalid_cursor"


async def test_a_cursor_of_store_a_is_invalid_for_store_b(session, gql):
    _, cursor = await _first_customer_cursor(session, gql)
    key_b, _ = await _customers_with_ties(session, count=3)

    payload = await gql.query(CUSTOMERS, {"first": 1, "after": cursor}, headers=key_b.headers)

    assert error_code(payload) == "invalid_cursor"


async def test_an_orders_cursor_of_store_a_is_invalid_on_a_customers_orders_of_store_b(session, gql):
    key_a, _, _, _ = await _store_with_orders(session, count=3)
    key_b, _, alice_b, _ = await _store_with_orders(session, count=3)
    page = connection_of(await gql.query(ORDERS, {"first": 1}, headers=key_a.headers), ("orders",))

    payload = await gql.query(
        CUSTOMER_ORDERS,
        {"id": str(alice_b.id), "first": 1, "after": page["pageInfo"]["endCursor"]},
        headers=key_b.headers,
    )

    assert error_code(payload) == "invalid_cursor"


async def test_a_root_orders_cursor_works_on_a_customers_orders(session, gql):
    """Both are the store's orders newest first: one list, one ordering, so one cursor binding (as REST's
    /v1/orders and /v1/customers/{id}/orders). The position keeps its meaning: the customer's orders after it."""
    key, orders, alice, bob = await _store_with_orders(session)
    newest_first = expected_order(orders, "created_at", descending=True)
    owner = {order.id: order.customer_id for order in orders}
    # A position in the root list at one of Bob's orders, with orders of both customers on each side of it.
    position = next(index for index, order_id in enumerate(newest_first) if index >= 2 and owner[order_id] == bob.id)
    root = connection_of(await gql.query(ORDERS, {"first": position + 1}, headers=key.headers), ("orders",))
    cursor = root["pageInfo"]["endCursor"]
    assert root["edges"][-1]["node"]["id"] == str(newest_first[position])

    payload = await gql.query(CUSTOMER_ORDERS, {"id": str(alice.id), "first": 50, "after": cursor}, headers=key.headers)

    later = [str(order_id) for order_id in newest_first[position + 1 :] if owner[order_id] == alice.id]
    assert later
    assert [edge["node"]["id"] for edge in connection_of(payload, ("customer", "orders"))["edges"]] == later


async def test_a_customers_orders_cursor_works_on_root_orders(session, gql):
    key, orders, alice, _ = await _store_with_orders(session)
    newest_first = expected_order(orders, "created_at", descending=True)
    nested = connection_of(
        await gql.query(CUSTOMER_ORDERS, {"id": str(alice.id), "first": 1}, headers=key.headers), ("customer", "orders")
    )
    alices_newest = int(nested["edges"][0]["node"]["id"])

    payload = await gql.query(ORDERS, {"first": 50, "after": nested["pageInfo"]["endCursor"]}, headers=key.headers)

    rest = newest_first[newest_first.index(alices_newest) + 1 :]
    assert [edge["node"]["id"] for edge in connection_of(payload, ("orders",))["edges"]] == [str(i) for i in rest]


async def test_a_root_orders_cursor_of_another_sort_is_invalid_on_a_customers_orders(session, gql):
    key, _, alice, _ = await _store_with_orders(session)
    page = connection_of(
        await gql.query(ORDERS, {"first": 1, "sort": {"field": "TOTAL", "direction": "DESC"}}, headers=key.headers),
        ("orders",),
    )

    payload = await gql.query(
        CUSTOMER_ORDERS, {"id": str(alice.id), "first": 5, "after": page["pageInfo"]["endCursor"]}, headers=key.headers
    )

    assert error_code(payload) == "invalid_cursor"


# --- page size -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [0, 201, -1])
async def test_first_out_of_range_is_a_validation_error_on_first(session, gql, first):
    key, _ = await _customers_with_ties(session, count=1)

    payload = await gql.query(CUSTOMERS, {"first": first}, headers=key.headers)

    assert error_code(payload) == "validation_error"
    assert payload["errors"][0]["extensions"]["details"][0]["field"] == "first"


@pytest.mark.parametrize("first", [0, 201, -1])
async def test_first_out_of_range_on_a_customers_orders_is_a_validation_error_on_first(session, gql, first):
    key, _, alice, _ = await _store_with_orders(session, count=1)

    payload = await gql.query(CUSTOMER_ORDERS, {"id": str(alice.id), "first": first}, headers=key.headers)

    assert error_code(payload) == "validation_error"
    assert payload["errors"][0]["extensions"]["details"][0]["field"] == "first"


@pytest.mark.parametrize("document", [ORDERS, PRODUCTS, LANDING_PAGES], ids=["orders", "products", "landingPages"])
async def test_first_out_of_range_is_a_validation_error_on_every_list(session, gql, document):
    key, _ = await _customers_with_ties(session, count=1)

    payload = await gql.query(document, {"first": 201}, headers=key.headers)

    assert error_code(payload) == "validation_error"
    assert payload["errors"][0]["extensions"]["details"][0]["field"] == "first"


async def test_first_200_works(session, gql):
    key, customers = await _customers_with_ties(session, count=201)

    pages = await walk(gql, key, CUSTOMERS, ("customers",), 200)

    assert_walk(pages, expected_order(customers, "created_at", descending=True), 200)


async def test_first_of_the_wrong_type_is_a_validation_error(session, gql):
    key, _ = await _customers_with_ties(session, count=1)

    payload = await gql.query(CUSTOMERS, {"first": "ten"}, headers=key.headers)

    assert payload["_status"] == 400
    assert error_code(payload) == "validation_error"


async def test_first_defaults_to_50(session, gql):
    key, _ = await _customers_with_ties(session, count=51)

    payload = await gql.query("{ customers { totalCount nodes { id } pageInfo { hasNextPage } } }", headers=key.headers)

    page = connection_of(payload, ("customers",))
    assert (page["totalCount"], len(page["nodes"]), page["pageInfo"]["hasNextPage"]) == (51, 50, True)

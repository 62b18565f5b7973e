"""A key of one store never sees another store's data, by any path (contract §6)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from db.models import Customer, LandingPage, Order, Product, Store
from tests.support.factories import (
    Key,
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_store,
)

NEVER_USED_ID = 2**62


@dataclass
class StoreData:
    store: Store
    key: Key
    customers: list[Customer]
    products: list[Product]
    orders: list[Order]
    pages: list[LandingPage]


async def _populate(session, name: str, *, size: int) -> StoreData:
    store = await create_store(session, name=name)
    key = await create_key(session, store)
    customers = [
        await create_customer(session, store, first_name=f"{name}-first", last_name=f"{name}-last") for _ in range(size)
    ]
    products = [await create_product(session, store, name=f"{name} product {i}") for i in range(size)]
    orders = [await create_order(session, store, customer, [(products[0], 1)]) for customer in customers]
    pages = [await create_landing_page(session, store, title=f"{name} page", product=product) for product in products]
    return StoreData(store, key, customers, products, orders, pages)


@pytest.fixture
async def stores(session):
    """Store A (three of everything) and store B (two of everything), committed."""
    a = await _populate(session, "Alpha Boutique", size=3)
    b = await _populate(session, "Beta Shop", size=2)
    await session.commit()
    return a, b


SINGLE_FIELDS = {
    "customer": ("customers", "Customer"),
    "order": ("orders", "Order"),
    "product": ("products", "Product"),
    "landingPage": ("pages", "Landing page"),
}


def _foreign_id(a: StoreData, attribute: str) -> int:
    rows = getattr(a, attribute)
    return int(rows[0].id)


@pytest.mark.parametrize("field", list(SINGLE_FIELDS))
async def test_single_field_with_another_stores_id_is_not_found(gql, stores, field):
    a, b = stores
    attribute, _ = SINGLE_FIELDS[field]
    foreign_id = _foreign_id(a, attribute)

    payload = await gql.query(f'{{ {field}(id: "{foreign_id}") {{ id }} }}', headers=b.key.headers)

    assert payload["data"] == {field: None}
    assert len(payload["errors"]) == 1
    error = payload["errors"][0]
    assert error["extensions"] == {"code": "not_found"}
    assert error["path"] == [field]


@pytest.mark.parametrize("field", list(SINGLE_FIELDS))
async def test_not_found_for_another_stores_id_reads_like_an_id_that_never_existed(gql, stores, field):
    a, b = stores
    attribute, resource = SINGLE_FIELDS[field]
    foreign_id = _foreign_id(a, attribute)

    foreign = await gql.query(f'{{ {field}(id: "{foreign_id}") {{ id }} }}', headers=b.key.headers)
    missing = await gql.query(f'{{ {field}(id: "{NEVER_USED_ID}") {{ id }} }}', headers=b.key.headers)

    foreign_error, missing_error = foreign["errors"][0], missing["errors"][0]
    assert foreign_error["message"] == f"{resource} with ID {foreign_id} not found"
    assert foreign_error["message"].replace(str(foreign_id), "<id>") == missing_error["message"].replace(
        str(NEVER_USED_ID), "<id>"
    )
    assert set(foreign_error) == set(missing_error)
    assert foreign["_status"] == missing["_status"]
    assert "Alpha" not in str(foreign)


LIST_FIELDS = {
    "customers": "customers",
    "orders": "orders",
    "products": "products",
    "landingPages": "pages",
}


@pytest.mark.parametrize("field", list(LIST_FIELDS))
async def test_list_contains_none_of_another_stores_rows(gql, stores, field):
    a, b = stores
    attribute = LIST_FIELDS[field]

    payload = await gql.query(f"{{ {field}(first: 200) {{ nodes {{ id }} }} }}", headers=b.key.headers)

    assert "errors" not in payload
    ids = {int(node["id"]) for node in payload["data"][field]["nodes"]}
    assert ids == {int(row.id) for row in getattr(b, attribute)}
    assert ids.isdisjoint(int(row.id) for row in getattr(a, attribute))


@pytest.mark.parametrize("field", list(LIST_FIELDS))
async def test_total_count_counts_only_the_callers_rows(gql, stores, field):
    a, b = stores
    attribute = LIST_FIELDS[field]

    payload_b = await gql.query(f"{{ {field} {{ totalCount }} }}", headers=b.key.headers)
    payload_a = await gql.query(f"{{ {field} {{ totalCount }} }}", headers=a.key.headers)

    assert payload_b["data"][field]["totalCount"] == len(getattr(b, attribute)) == 2
    assert payload_a["data"][field]["totalCount"] == len(getattr(a, attribute)) == 3


async def test_list_edges_of_another_store_are_not_reachable_by_search(gql, stores):
    _, b = stores

    payload = await gql.query(
        '{ customers(filter: {search: "Alpha"}) { totalCount nodes { id } } '
        'products(filter: {search: "Alpha"}) { totalCount nodes { id } } }',
        headers=b.key.headers,
    )

    assert payload["data"] == {
        "customers": {"totalCount": 0, "nodes": []},
        "products": {"totalCount": 0, "nodes": []},
    }


async def test_order_pointing_at_another_stores_customer_shows_no_customer(session, gql, stores):
    a, b = stores
    # Corrupt data on purpose: an order of B whose customer_id is A's customer.
    order = await create_order(session, b.store, a.customers[0], [(b.products[0], 1)])
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { order(id: $id) { id customerId customer { id firstName phone } } }",
        {"id": str(order.id)},
        headers=b.key.headers,
    )

    assert "errors" not in payload
    assert payload["data"]["order"]["id"] == str(order.id)
    assert payload["data"]["order"]["customer"] is None


async def test_order_list_pointing_at_another_stores_customer_shows_no_customer(session, gql, stores):
    a, b = stores
    order = await create_order(session, b.store, a.customers[0], [(b.products[0], 1)])
    await session.commit()

    payload = await gql.query("{ orders(first: 200) { nodes { id customer { id } } } }", headers=b.key.headers)

    nodes = {node["id"]: node for node in payload["data"]["orders"]["nodes"]}
    assert nodes[str(order.id)]["customer"] is None
    seen = {node["customer"]["id"] for node in nodes.values() if node["customer"] is not None}
    assert seen == {str(customer.id) for customer in b.customers}


async def test_order_item_pointing_at_another_stores_product_shows_no_product(session, gql, stores):
    a, b = stores
    order = await create_order(session, b.store, b.customers[0], [(a.products[0], 1)])
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { order(id: $id) { items { productName product { id name } } } }",
        {"id": str(order.id)},
        headers=b.key.headers,
    )

    assert "errors" not in payload
    [item] = payload["data"]["order"]["items"]
    assert item["product"] is None


async def test_landing_page_pointing_at_another_stores_product_shows_no_product(session, gql, stores):
    a, b = stores
    page = await create_landing_page(session, b.store, product=a.products[0])
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { landingPage(id: $id) { id product { id } } }",
        {"id": str(page.id)},
        headers=b.key.headers,
    )

    assert "errors" not in payload
    assert payload["data"]["landingPage"] == {"id": str(page.id), "product": None}


async def test_orders_filtered_by_another_stores_customer_return_nothing(gql, stores):
    a, b = stores

    payload = await gql.query(
        "query($c: ID!) { orders(filter: {customerId: $c}) { totalCount nodes { id } } }",
        {"c": str(a.customers[0].id)},
        headers=b.key.headers,
    )

    assert "errors" not in payload
    assert payload["data"]["orders"] == {"totalCount": 0, "nodes": []}


async def test_customer_orders_never_include_another_stores_orders(session, gql, stores):
    a, b = stores
    # An order of A that points at B's customer must not appear under B's customer.
    stray = await create_order(session, a.store, b.customers[0], [(a.products[0], 1)])
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { customer(id: $id) { orders { totalCount nodes { id } } } }",
        {"id": str(b.customers[0].id)},
        headers=b.key.headers,
    )

    orders = payload["data"]["customer"]["orders"]
    ids = {node["id"] for node in orders["nodes"]}
    assert str(stray.id) not in ids
    assert ids == {str(b.orders[0].id)}
    assert orders["totalCount"] == 1


async def test_store_and_viewer_describe_only_the_callers_store(gql, stores):
    _, b = stores

    payload = await gql.query("{ store { id name } viewer { storeId storeName } }", headers=b.key.headers)

    assert payload["data"]["store"] == {"id": str(b.store.id), "name": "Beta Shop"}
    assert payload["data"]["viewer"] == {"storeId": str(b.store.id), "storeName": "Beta Shop"}


async def test_cursor_of_another_store_is_refused(gql, stores):
    a, b = stores
    page_a = await gql.query("{ customers(first: 1) { pageInfo { endCursor } } }", headers=a.key.headers)
    cursor = page_a["data"]["customers"]["pageInfo"]["endCursor"]
    assert cursor

    payload = await gql.query(
        "query($after: String) { customers(first: 1, after: $after) { nodes { id } } }",
        {"after": cursor},
        headers=b.key.headers,
    )

    assert payload["data"] == {"customers": None}
    assert payload["errors"][0]["extensions"]["code"] == "invalid_cursor"

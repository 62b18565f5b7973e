"""List filters (customers, orders, products, landing pages) and the detail fields of orders and customers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from db.models import OrderStatusChange
from tests.support.factories import (
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_store,
)

CUSTOMERS = """
query($filter: CustomerFilter) {
  customers(first: 200, filter: $filter) { totalCount nodes { id } }
}
"""

ORDERS = """
query($filter: OrderFilter) {
  orders(first: 200, filter: $filter) { totalCount nodes { id } }
}
"""

PRODUCTS = """
query($filter: ProductFilter) {
  products(first: 200, filter: $filter) { totalCount nodes { id } }
}
"""

LANDING_PAGES = """
query($filter: LandingPageFilter) {
  landingPages(first: 200, filter: $filter) { totalCount nodes { id } }
}
"""


def ids(*rows: Any) -> set[str]:
    return {str(row.id) for row in rows}


async def found(gql, key, document: str, field: str, filter_: dict[str, Any]) -> set[str]:
    """The ids the filter finds, after checking that totalCount agrees with them."""
    payload = await gql.query(document, {"filter": filter_}, headers=key.headers)
    assert "errors" not in payload, payload
    connection = payload["data"][field]
    result = {node["id"] for node in connection["nodes"]}
    assert connection["totalCount"] == len(result)
    return result


# --- customers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["0555 00 00 00", "0555000000", "+213555000000"])
async def test_customer_phone_filter_matches_every_spelling_of_the_number(session, gql, spelling):
    store = await create_store(session)
    key = await create_key(session, store)
    wanted = await create_customer(session, store, phone="0555000000")
    await create_customer(session, store, phone="0555000001")
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"phone": spelling}) == ids(wanted)


@pytest.mark.parametrize("raw", ["not a phone", "0555", "+", ""])
async def test_an_unparseable_phone_filter_finds_nothing_without_error(session, gql, raw):
    store = await create_store(session)
    key = await create_key(session, store)
    await create_customer(session, store, phone="0555000000")
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"phone": raw}) == set()


async def test_customer_email_filter_is_exact(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    john = await create_customer(session, store, email="john@x.com")
    await create_customer(session, store, email="john@x.com.dz")
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"email": "john@x.com"}) == ids(john)
    assert await found(gql, key, CUSTOMERS, "customers", {"email": "john@x"}) == set()


async def test_customer_email_filter_is_case_sensitive(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    await create_customer(session, store, email="john@x.com")
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"email": "John@x.com"}) == set()


@pytest.mark.parametrize(
    ("needle", "who"),
    [("YAS", "first"), ("mIN", "first"), ("kacI", "last"), ("ZIANE@EXAMPLE", "email"), ("5551234", "phone")],
)
async def test_customer_search_matches_name_email_and_phone_substrings_ignoring_case(session, gql, needle, who):
    store = await create_store(session)
    key = await create_key(session, store)
    customers = {
        "first": await create_customer(session, store, first_name="Yasmina", last_name="Haddad"),
        "last": await create_customer(session, store, first_name="Omar", last_name="Kaci"),
        "email": await create_customer(session, store, first_name="Rania", email="r.ziane@example.com"),
        "phone": await create_customer(session, store, first_name="Nadia", phone="0555123456"),
    }
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"search": needle}) == ids(customers[who])


async def test_customer_search_treats_underscore_literally(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    literal = await create_customer(session, store, last_name="Ben_Ali")
    await create_customer(session, store, last_name="BenXAli")
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"search": "n_a"}) == ids(literal)


async def test_customer_search_treats_percent_literally(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    literal = await create_customer(session, store, first_name="Sa%ra")
    await create_customer(session, store, first_name="Sabra")
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"search": "a%r"}) == ids(literal)


async def test_customer_search_treats_backslash_literally(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    literal = await create_customer(session, store, last_name="Back\\slash")
    await create_customer(session, store, last_name="Backslash")
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"search": "k\\s"}) == ids(literal)


async def test_customer_is_banned_filter(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    banned = await create_customer(session, store, is_banned=True)
    allowed = await create_customer(session, store)
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"isBanned": True}) == ids(banned)
    assert await found(gql, key, CUSTOMERS, "customers", {"isBanned": False}) == ids(allowed)


async def test_customer_filters_combine_with_and(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    wanted = await create_customer(session, store, first_name="Karim", is_banned=True)
    await create_customer(session, store, first_name="Karim")
    await create_customer(session, store, first_name="Lina", is_banned=True)
    await session.commit()

    result = await found(gql, key, CUSTOMERS, "customers", {"search": "karim", "isBanned": True})

    assert result == ids(wanted)


async def test_customer_total_count_counts_only_matching_customers_across_pages(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    for _ in range(3):
        await create_customer(session, store, first_name="Meriem")
    await create_customer(session, store, first_name="Sofiane")
    await session.commit()

    payload = await gql.query(
        '{ customers(first: 1, filter: {search: "meriem"}) { totalCount nodes { firstName } } }',
        headers=key.headers,
    )

    assert payload["data"]["customers"] == {"totalCount": 3, "nodes": [{"firstName": "Meriem"}]}


async def test_customer_filters_never_reach_another_store(session, gql):
    store = await create_store(session)
    other = await create_store(session)
    key = await create_key(session, store)
    await create_customer(session, other, phone="0555000000", email="john@x.com")
    await session.commit()

    assert await found(gql, key, CUSTOMERS, "customers", {"phone": "0555000000"}) == set()
    assert await found(gql, key, CUSTOMERS, "customers", {"email": "john@x.com"}) == set()
    assert await found(gql, key, CUSTOMERS, "customers", {"search": "amine"}) == set()


# --- orders ----------------------------------------------------------------------------------------------


async def test_order_status_filter(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    product = await create_product(session, store)
    await create_order(session, store, customer, [(product, 1)])
    confirmed = await create_order(session, store, customer, [(product, 1)], status="confirmed")
    await session.commit()

    assert await found(gql, key, ORDERS, "orders", {"status": "CONFIRMED"}) == ids(confirmed)
    assert await found(gql, key, ORDERS, "orders", {"status": "DELIVERED"}) == set()


async def test_order_payment_status_filter(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    product = await create_product(session, store)
    await create_order(session, store, customer, [(product, 1)])
    paid = await create_order(session, store, customer, [(product, 1)], status="delivered")
    paid.payment_status = "paid"
    await session.commit()

    assert await found(gql, key, ORDERS, "orders", {"paymentStatus": "PAID"}) == ids(paid)


SINCE_CUTOFF = datetime(2024, 3, 2, 10, 0, 0)


async def _orders_around_cutoff(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    product = await create_product(session, store)
    await create_order(session, store, customer, [(product, 1)], created_at=SINCE_CUTOFF - timedelta(seconds=1))
    at = await create_order(session, store, customer, [(product, 1)], created_at=SINCE_CUTOFF)
    after = await create_order(session, store, customer, [(product, 1)], created_at=SINCE_CUTOFF + timedelta(days=1))
    await session.commit()
    return key, ids(at, after), ids(after)


@pytest.mark.parametrize(
    "since", ["2024-03-02T10:00:00Z", "2024-03-02T11:00:00+01:00", "2024-03-02T08:00:00-02:00", "2024-03-02 10:00:00"]
)
async def test_order_since_filter_is_inclusive_in_every_accepted_spelling(session, gql, since):
    key, from_cutoff, _ = await _orders_around_cutoff(session)

    assert await found(gql, key, ORDERS, "orders", {"since": since}) == from_cutoff


async def test_order_since_filter_converts_offsets_to_utc(session, gql):
    key, _, after_cutoff = await _orders_around_cutoff(session)

    # 10:00:01 UTC, written in UTC+01:00: the order at exactly 10:00:00 UTC is before it.
    assert await found(gql, key, ORDERS, "orders", {"since": "2024-03-02T11:00:01+01:00"}) == after_cutoff


async def test_order_since_filter_given_inline_in_the_document(session, gql):
    key, from_cutoff, _ = await _orders_around_cutoff(session)

    payload = await gql.query(
        '{ orders(first: 10, filter: {since: "2024-03-02T10:00:00Z"}) { nodes { id } } }', headers=key.headers
    )

    assert {node["id"] for node in payload["data"]["orders"]["nodes"]} == from_cutoff


@pytest.mark.parametrize("since", ["yesterday", "2024-13-01T00:00:00Z", "", "2024-03-02T10:00:00+99:00"])
async def test_an_invalid_since_is_a_graphql_validation_error(session, gql, since):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    payload = await gql.query(ORDERS, {"filter": {"since": since}}, headers=key.headers)

    assert payload["_status"] == 400
    assert "data" not in payload
    assert payload["errors"][0]["extensions"]["code"] == "validation_error"


async def test_an_invalid_since_inline_in_the_document_is_a_graphql_validation_error(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    payload = await gql.query('{ orders(filter: {since: "yesterday"}) { totalCount } }', headers=key.headers)

    assert payload["_status"] == 400
    assert payload["errors"][0]["extensions"]["code"] == "validation_error"


async def test_order_customer_id_filter(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store)
    alice = await create_customer(session, store)
    bob = await create_customer(session, store)
    first = await create_order(session, store, alice, [(product, 1)])
    second = await create_order(session, store, alice, [(product, 2)])
    await create_order(session, store, bob, [(product, 1)])
    await session.commit()

    assert await found(gql, key, ORDERS, "orders", {"customerId": str(alice.id)}) == ids(first, second)


async def test_order_filters_combine_with_and(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store)
    alice = await create_customer(session, store)
    bob = await create_customer(session, store)
    wanted = await create_order(session, store, alice, [(product, 1)], status="confirmed")
    await create_order(session, store, alice, [(product, 1)])
    await create_order(session, store, bob, [(product, 1)], status="confirmed")
    await session.commit()

    result = await found(gql, key, ORDERS, "orders", {"customerId": str(alice.id), "status": "CONFIRMED"})

    assert result == ids(wanted)


# --- products and landing pages --------------------------------------------------------------------------


async def test_product_status_filter(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    active = await create_product(session, store)
    draft = await create_product(session, store, status="draft")
    archived = await create_product(session, store, status="archived")
    await session.commit()

    assert await found(gql, key, PRODUCTS, "products", {"status": "ACTIVE"}) == ids(active)
    assert await found(gql, key, PRODUCTS, "products", {"status": "DRAFT"}) == ids(draft)
    assert await found(gql, key, PRODUCTS, "products", {"status": "ARCHIVED"}) == ids(archived)


async def test_product_search_matches_name_ignoring_case(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    wanted = await create_product(session, store, name="Robe Kabyle")
    await create_product(session, store, name="Karakou")
    await session.commit()

    assert await found(gql, key, PRODUCTS, "products", {"search": "KABY"}) == ids(wanted)


async def test_product_search_matches_sku(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    wanted = await create_product(session, store, name="Scarf", sku="HJB-042")
    await create_product(session, store, name="Hat", sku="HAT-001")
    await session.commit()

    assert await found(gql, key, PRODUCTS, "products", {"search": "hjb-04"}) == ids(wanted)


async def test_product_search_and_status_combine(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    wanted = await create_product(session, store, name="Tapis rouge")
    await create_product(session, store, name="Tapis bleu", status="draft")
    await session.commit()

    result = await found(gql, key, PRODUCTS, "products", {"search": "tapis", "status": "ACTIVE"})

    assert result == ids(wanted)


async def test_landing_page_status_filter(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    published = await create_landing_page(session, store)
    draft = await create_landing_page(session, store)
    draft.status = "draft"
    await session.commit()

    assert await found(gql, key, LANDING_PAGES, "landingPages", {"status": "PUBLISHED"}) == ids(published)
    assert await found(gql, key, LANDING_PAGES, "landingPages", {"status": "DRAFT"}) == ids(draft)


# --- details ---------------------------------------------------------------------------------------------

ORDER_DETAIL = """
query($id: ID!) {
  order(id: $id) {
    id orderNumber status total
    items { productName quantity unitPrice total product { id name } }
    customer { id firstName }
    statusHistory { fromStatus toStatus createdAt }
  }
}
"""


async def test_order_detail_has_items_with_products_customer_and_history_oldest_first(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store, first_name="Hakim")
    tea = await create_product(session, store, name="Tea", price=300)
    cup = await create_product(session, store, name="Cup", price=800)
    placed = datetime(2024, 5, 1, 9, 0, 0)
    order = await create_order(session, store, customer, [(tea, 2), (cup, 1)], created_at=placed)
    order.status = "shipped"
    # Inserted newest first, so that only the timestamps give the right order.
    session.add(
        OrderStatusChange(
            order_id=order.id, from_status="confirmed", to_status="shipped", created_at=placed + timedelta(hours=2)
        )
    )
    await session.flush()
    session.add(
        OrderStatusChange(
            order_id=order.id, from_status="pending", to_status="confirmed", created_at=placed + timedelta(hours=1)
        )
    )
    await session.commit()

    payload = await gql.query(ORDER_DETAIL, {"id": str(order.id)}, headers=key.headers)

    assert "errors" not in payload, payload
    detail = payload["data"]["order"]
    assert detail["orderNumber"] == order.order_number
    assert detail["status"] == "SHIPPED"
    assert detail["total"] == 2 * 300 + 800 + 400
    assert detail["items"] == [
        {
            "productName": "Tea",
            "quantity": 2,
            "unitPrice": 300,
            "total": 600,
            "product": {"id": str(tea.id), "name": "Tea"},
        },
        {
            "productName": "Cup",
            "quantity": 1,
            "unitPrice": 800,
            "total": 800,
            "product": {"id": str(cup.id), "name": "Cup"},
        },
    ]
    assert detail["customer"] == {"id": str(customer.id), "firstName": "Hakim"}
    assert detail["statusHistory"] == [
        {"fromStatus": None, "toStatus": "pending", "createdAt": "2024-05-01T09:00:00Z"},
        {"fromStatus": "pending", "toStatus": "confirmed", "createdAt": "2024-05-01T10:00:00Z"},
        {"fromStatus": "confirmed", "toStatus": "shipped", "createdAt": "2024-05-01T11:00:00Z"},
    ]


async def test_order_detail_of_another_store_is_not_found(session, gql):
    store = await create_store(session)
    other = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, other)
    product = await create_product(session, other)
    order = await create_order(session, other, customer, [(product, 1)])
    await session.commit()

    payload = await gql.query(ORDER_DETAIL, {"id": str(order.id)}, headers=key.headers)

    assert payload["data"] == {"order": None}
    assert payload["errors"][0]["extensions"]["code"] == "not_found"


CUSTOMER_DETAIL = """
query($id: ID!) {
  customer(id: $id) {
    id firstName phone totalOrders totalSpent lastOrderAt
    orders(first: 10) { totalCount nodes { id createdAt } }
  }
}
"""


async def test_customer_detail_has_totals_and_orders_newest_first(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store, phone="0555000000", total_orders=3, total_spent=9200)
    customer.last_order_at = datetime(2024, 6, 3, 12, 0, 0)
    other = await create_customer(session, store)
    product = await create_product(session, store)
    days = [datetime(2024, 6, day, 12, 0, 0) for day in (2, 3, 1)]
    orders = [await create_order(session, store, customer, [(product, 1)], created_at=day) for day in days]
    await create_order(session, store, other, [(product, 1)], created_at=datetime(2024, 6, 4))
    await session.commit()

    payload = await gql.query(CUSTOMER_DETAIL, {"id": str(customer.id)}, headers=key.headers)

    assert "errors" not in payload, payload
    detail = payload["data"]["customer"]
    assert detail["phone"] == "0555000000"
    assert (detail["totalOrders"], detail["totalSpent"], detail["lastOrderAt"]) == (3, 9200, "2024-06-03T12:00:00Z")
    assert detail["orders"]["totalCount"] == 3
    assert detail["orders"]["nodes"] == [
        {"id": str(orders[1].id), "createdAt": "2024-06-03T12:00:00Z"},
        {"id": str(orders[0].id), "createdAt": "2024-06-02T12:00:00Z"},
        {"id": str(orders[2].id), "createdAt": "2024-06-01T12:00:00Z"},
    ]


async def test_customer_detail_never_exposes_fingerprint_or_identity(session, gql):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { customer(id: $id) { deviceFingerprint } }", {"id": str(customer.id)}, headers=key.headers
    )

    assert payload["_status"] == 400
    assert payload["errors"][0]["extensions"]["code"] == "validation_error"

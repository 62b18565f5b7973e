"""The issue's acceptance: nested lists cost a constant number of SQL statements, whatever the page holds.

"1 customer and 200 customers, each with orders, items and products, cost the same number of queries."
The counts include the API key lookup of the auth middleware (one statement per request once the key's
``last_used_at`` is fresh, which a warm-up request makes sure of). They leave out transaction control: on
SQLite the engine emits its own ``BEGIN`` for each of the request's two transactions (auth, then the query),
which PostgreSQL's driver does without a statement; those are checked separately.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from db.models import Customer, LandingPage, Order, OrderItem, OrderStatusChange
from storegraph.app import create_app
from tests.conftest import app_settings, services_of
from tests.support.factories import Key, create_key, create_product, create_store

BASE = datetime(2024, 2, 1, 8, 0, 0)
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)

NESTED_CUSTOMERS = """
query {
  customers(first: 200) {
    totalCount
    edges {
      cursor
      node {
        id firstName
        orders(first: 5) {
          totalCount
          edges { node {
            id orderNumber
            items { quantity product { id name } }
            statusHistory { toStatus }
            customer { id }
          } }
        }
      }
    }
  }
}
"""

NESTED_ORDERS = """
query { orders(first: 100) { nodes { items { product { id } } customer { id } statusHistory { id } } } }
"""

LANDING_PAGES = "query { landingPages { nodes { product { id } } } }"

# 200 customers × 5 orders with items, products, history and customers: a query cost of 5602 (docs/cost.md),
# over the default maximum of 1000. These tests measure statements, not the cost limit, so they lift it.
QUERY_COUNTS_MAX_COST = 10_000


@pytest.fixture(scope="module")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(app_settings(database_url, max_query_cost=QUERY_COUNTS_MAX_COST))
    yield application
    await services_of(application).engine.dispose()


# auth, customers page, customers count, order pages, order counts, items, products, status history,
# customers of the orders
NESTED_CUSTOMERS_STATEMENTS = 9
# auth, orders page, items, products, customers, status history
NESTED_ORDERS_STATEMENTS = 6
# auth, landing pages page, products
LANDING_PAGES_STATEMENTS = 3


async def _store_with_customers(session, customers: int, orders_each: int = 3) -> tuple[Key, list[int]]:
    """A store whose customers each have ``orders_each`` orders of 2 items over 4 products, with history."""
    store = await create_store(session)
    key = await create_key(session, store)
    products = [await create_product(session, store, name=f"Product {number}") for number in range(4)]
    people = [
        Customer(
            store_id=store.id,
            first_name=f"Customer{number}",
            last_name="Benali",
            phone=f"0555{number:06d}",
            total_orders=orders_each,
            created_at=BASE + timedelta(minutes=number),
            updated_at=BASE + timedelta(minutes=number),
        )
        for number in range(customers)
    ]
    session.add_all(people)
    await session.flush()
    orders = [
        Order(
            store_id=store.id,
            customer_id=person.id,
            order_number=f"ORD-{store.id}-20240201-{index * orders_each + number:04X}",
            status="confirmed",
            customer_name=f"{person.first_name} {person.last_name}",
            customer_phone=person.phone,
            subtotal=4000,
            delivery_fee=400,
            total=4400,
            created_at=BASE + timedelta(hours=number, minutes=index),
            updated_at=BASE + timedelta(hours=number, minutes=index),
        )
        for index, person in enumerate(people)
        for number in range(orders_each)
    ]
    session.add_all(orders)
    await session.flush()
    for index, order in enumerate(orders):
        for line in range(2):
            product = products[(index + line) % len(products)]
            session.add(
                OrderItem(
                    order_id=order.id,
                    product_id=product.id,
                    product_name=product.name,
                    sku=product.sku,
                    unit_price=product.price,
                    quantity=line + 1,
                    total=product.price * (line + 1),
                )
            )
        session.add_all(
            [
                OrderStatusChange(order_id=order.id, to_status="pending", created_at=order.created_at),
                OrderStatusChange(
                    order_id=order.id,
                    from_status="pending",
                    to_status="confirmed",
                    created_at=order.created_at + timedelta(minutes=5),
                ),
            ]
        )
    await session.flush()
    await session.commit()
    return key, [product.id for product in products]


async def _measure(gql, count_statements, key: Key, document: str) -> tuple[dict[str, Any], list[str]]:
    warm_up = await gql.query("{ viewer { keyId } }", headers=key.headers)
    assert "errors" not in warm_up, warm_up
    with count_statements() as counter:
        payload = await gql.query(document, headers=key.headers)
    assert "errors" not in payload, payload
    queries = [statement for statement in counter.statements if not TRANSACTION_CONTROL.match(statement)]
    # At most one BEGIN for the auth lookup and one for the request's transaction, however big the page.
    assert len(counter.statements) - len(queries) <= 2, counter.statements
    return payload, queries


def _check_customers_page(payload: dict[str, Any], customers: int) -> None:
    page = payload["data"]["customers"]
    assert page["totalCount"] == customers
    assert len(page["edges"]) == customers
    for edge in page["edges"]:
        assert edge["cursor"]
        orders = edge["node"]["orders"]
        assert orders["totalCount"] == 3
        assert len(orders["edges"]) == 3
        for order in (order_edge["node"] for order_edge in orders["edges"]):
            assert order["customer"] == {"id": edge["node"]["id"]}
            assert [item["quantity"] for item in order["items"]] == [1, 2]
            assert all(item["product"]["id"] for item in order["items"])
            assert order["statusHistory"] == [{"toStatus": "pending"}, {"toStatus": "confirmed"}]


async def test_customers_with_orders_items_and_products_cost_the_same_for_1_and_200(session, gql, count_statements):
    one_key, _ = await _store_with_customers(session, 1)
    many_key, _ = await _store_with_customers(session, 200)

    one, one_statements = await _measure(gql, count_statements, one_key, NESTED_CUSTOMERS)
    many, many_statements = await _measure(gql, count_statements, many_key, NESTED_CUSTOMERS)

    _check_customers_page(one, 1)
    _check_customers_page(many, 200)
    assert len(many_statements) == len(one_statements), many_statements
    assert len(one_statements) == NESTED_CUSTOMERS_STATEMENTS, one_statements


async def test_orders_with_items_customer_and_history_cost_the_same_for_1_and_100(session, gql, count_statements):
    one_key, _ = await _store_with_customers(session, 1, orders_each=1)
    many_key, _ = await _store_with_customers(session, 50, orders_each=2)

    one, one_statements = await _measure(gql, count_statements, one_key, NESTED_ORDERS)
    many, many_statements = await _measure(gql, count_statements, many_key, NESTED_ORDERS)

    assert len(one["data"]["orders"]["nodes"]) == 1
    assert len(many["data"]["orders"]["nodes"]) == 100
    for order in many["data"]["orders"]["nodes"]:
        assert order["customer"]["id"]
        assert len(order["items"]) == 2
        assert len(order["statusHistory"]) == 2
    assert len(many_statements) == len(one_statements), many_statements
    assert len(one_statements) == NESTED_ORDERS_STATEMENTS, one_statements


async def _store_with_landing_pages(session, count: int) -> Key:
    store = await create_store(session)
    key = await create_key(session, store)
    products = [await create_product(session, store) for _ in range(3)]
    session.add_all(
        [
            LandingPage(
                store_id=store.id,
                title=f"Page {number}",
                slug=f"page-{number}",
                product_id=products[number % 3].id if number % 4 != 3 else None,
                status="published",
            )
            for number in range(count)
        ]
    )
    await session.flush()
    await session.commit()
    return key


async def test_landing_pages_with_products_cost_the_same_for_1_and_50(session, gql, count_statements):
    one_key = await _store_with_landing_pages(session, 1)
    many_key = await _store_with_landing_pages(session, 50)

    one, one_statements = await _measure(gql, count_statements, one_key, LANDING_PAGES)
    many, many_statements = await _measure(gql, count_statements, many_key, LANDING_PAGES)

    assert one["data"]["landingPages"]["nodes"][0]["product"] is not None
    assert len(many["data"]["landingPages"]["nodes"]) == 50
    assert sum(node["product"] is not None for node in many["data"]["landingPages"]["nodes"]) == 38
    assert len(many_statements) == len(one_statements), many_statements
    assert len(one_statements) == LANDING_PAGES_STATEMENTS, one_statements


async def test_the_api_key_lookup_is_one_statement(session, gql, count_statements):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    _, statements = await _measure(gql, count_statements, key, "{ viewer { keyId } }")

    assert len(statements) == 1, statements

"""/v1 reads cost a constant number of SQL statements, whatever the page size (the issue's acceptance, as
tests/schema/test_query_counts.py checks it for GraphQL): 5 rows and 50 rows cost the same.

Counts leave out transaction control (SQLite's own ``BEGIN``, see tests/schema/test_query_counts.py) and include the key
lookup of authentication, once a warm-up request has made the key's ``last_used_at`` fresh.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from db.models import CustomerTag, Order, OrderItem, OrderStatusChange
from tests.support.factories import Key, create_customer, create_key, create_product, create_store

BASE = datetime(2026, 4, 30, 8, 0, 0)
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)

# auth, the store's data version (the ETag, rest_compat/conditional.py), the page
LIST_STATEMENTS = 3
# auth, the store's data version, the order, its items, its status history
ORDER_STATEMENTS = 5
# auth, the store's data version, the customer with its tags (in the customer's own statement)
CUSTOMER_STATEMENTS = 3


async def _measure(client, count_statements, key: Key, path: str) -> tuple[dict, list[str]]:
    warm_up = await client.get("/v1/whoami", headers=key.headers)
    assert warm_up.status_code == 200, warm_up.text
    with count_statements() as counter:
        response = await client.get(path, headers=key.headers)
    assert response.status_code == 200, response.text
    queries = [statement for statement in counter.statements if not TRANSACTION_CONTROL.match(statement)]
    assert len(counter.statements) - len(queries) <= 2, counter.statements
    return response.json()["data"], queries


async def _store_with_customers(session, count: int) -> Key:
    store = await create_store(session)
    key = await create_key(session, store)
    for number in range(count):
        await create_customer(session, store, created_at=BASE + timedelta(minutes=number))
    await session.commit()
    return key


async def _store_with_orders(session, count: int, *, items_each: int = 2) -> tuple[Key, list[int]]:
    """``count`` orders of ``items_each`` lines over as many products, each with a two-step status history."""
    store = await create_store(session)
    key = await create_key(session, store)
    products = [await create_product(session, store) for _ in range(max(items_each, 1))]
    customers = [await create_customer(session, store) for _ in range(3)]
    orders = [
        Order(
            store_id=store.id,
            customer_id=customers[number % 3].id,
            order_number=f"ORD-{store.id}-20260430-{number:04X}",
            status="confirmed",
            customer_name="Amine Benali",
            customer_phone=customers[number % 3].phone,
            subtotal=1500 * items_each,
            delivery_fee=400,
            total=1500 * items_each + 400,
            created_at=BASE + timedelta(minutes=number),
            updated_at=BASE + timedelta(minutes=number),
        )
        for number in range(count)
    ]
    session.add_all(orders)
    await session.flush()
    for order in orders:
        session.add_all(
            [
                OrderItem(
                    order_id=order.id,
                    product_id=product.id,
                    product_name=product.name,
                    sku=product.sku,
                    unit_price=1500,
                    quantity=1,
                    total=1500,
                )
                for product in products[:items_each]
            ]
        )
        session.add_all(
            [
                OrderStatusChange(order_id=order.id, to_status="pending", created_at=order.created_at),
                OrderStatusChange(
                    order_id=order.id, from_status="pending", to_status="confirmed", created_at=order.created_at
                ),
            ]
        )
    await session.flush()
    await session.commit()
    return key, [order.id for order in orders]


async def test_a_page_of_50_customers_costs_what_a_page_of_5_costs(session, client, count_statements):
    few_key = await _store_with_customers(session, 5)
    many_key = await _store_with_customers(session, 50)

    few, few_statements = await _measure(client, count_statements, few_key, "/v1/customers?limit=50")
    many, many_statements = await _measure(client, count_statements, many_key, "/v1/customers?limit=50")

    assert (len(few["items"]), len(many["items"])) == (5, 50)
    assert len(many_statements) == len(few_statements) == LIST_STATEMENTS, many_statements


async def test_a_page_of_50_orders_costs_what_a_page_of_5_costs(session, client, count_statements):
    few_key, _ = await _store_with_orders(session, 5)
    many_key, _ = await _store_with_orders(session, 50)

    few, few_statements = await _measure(client, count_statements, few_key, "/v1/orders?limit=50")
    many, many_statements = await _measure(client, count_statements, many_key, "/v1/orders?limit=50")

    assert (len(few["items"]), len(many["items"])) == (5, 50)
    assert len(many_statements) == len(few_statements) == LIST_STATEMENTS, many_statements


async def test_a_customers_50_orders_cost_what_5_cost(session, client, count_statements):
    few_key, few_ids = await _store_with_orders(session, 5)
    many_key, many_ids = await _store_with_orders(session, 150)

    few_customer = await _customer_of(session, few_ids[0])
    many_customer = await _customer_of(session, many_ids[0])
    few, few_statements = await _measure(
        client, count_statements, few_key, f"/v1/customers/{few_customer}/orders?limit=50"
    )
    many, many_statements = await _measure(
        client, count_statements, many_key, f"/v1/customers/{many_customer}/orders?limit=50"
    )

    assert (len(few["items"]), len(many["items"])) == (2, 50)
    assert len(many_statements) == len(few_statements), many_statements


async def _customer_of(session, order_id: int) -> int:
    order = await session.get(Order, order_id)
    assert order is not None
    assert order.customer_id is not None
    return order.customer_id


@pytest.mark.parametrize("items", [1, 50])
async def test_an_order_with_many_items_costs_what_an_order_with_one_costs(session, client, count_statements, items):
    key, [order_id] = await _store_with_orders(session, 1, items_each=items)

    order, statements = await _measure(client, count_statements, key, f"/v1/orders/{order_id}")

    assert len(order["items"]) == items
    assert len(order["status_history"]) == 2
    assert len(statements) == ORDER_STATEMENTS, statements


@pytest.mark.parametrize("tags", [(), ("vip", "Ancien", "B2B")], ids=["untagged", "tagged"])
async def test_a_customer_and_its_tags_cost_one_statement(session, client, count_statements, tags):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    session.add_all(
        CustomerTag(store_id=store.id, customer_id=customer.id, name=name, name_key=name.lower()) for name in tags
    )
    await session.commit()

    found, statements = await _measure(client, count_statements, key, f"/v1/customers/{customer.id}")

    assert found["id"] == customer.id
    assert found["tags"] == sorted(tags, key=str.lower)
    assert len(statements) == CUSTOMER_STATEMENTS, statements
    [read] = [statement for statement in statements if "FROM customers" in statement]
    assert "customer_tags" in read

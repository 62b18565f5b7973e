"""A mutation's work is undone whole when it fails, whether it ran in a savepoint of the request's transaction or,
as its transaction's first work, in the transaction itself (which then spares the SAVEPOINT and RELEASE round
trips): the mutations around it in the same document keep theirs."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from db.models import Order, Product
from tests.support.factories import Key, create_key, create_product, create_store
from tests.support.mutation_helpers import succeeded, user_errors
from tests.support.rest_calls import data_of, writing

SAVEPOINT = re.compile(r"\s*(SAVEPOINT|RELEASE)\b", re.IGNORECASE)

CHECKOUT_THEN_CREATE = """
mutation($lines: [OrderLineInput!]!) {
  checkout: placeOrder(input: {lines: $lines, customer: {firstName: "Amine", phone: "0555 12 34 56", wilayaId: 16}}) {
    order { id } userErrors { field code }
  }
  create: createProduct(input: {name: "Kept", price: 1500}) { product { id } userErrors { code } }
}
"""
CHECKOUT_ONLY = """
mutation($lines: [OrderLineInput!]!) {
  checkout: placeOrder(input: {lines: $lines, customer: {firstName: "Amine", phone: "0555 12 34 56", wilayaId: 16}}) {
    order { id } userErrors { field code }
  }
}
"""
CREATE_THEN_CHECKOUT = """
mutation($lines: [OrderLineInput!]!) {
  create: createProduct(input: {name: "Kept", price: 1500}) { product { id } userErrors { code } }
  checkout: placeOrder(input: {lines: $lines, customer: {firstName: "Amine", phone: "0555 12 34 56", wilayaId: 16}}) {
    order { id } userErrors { field code }
  }
}
"""


async def _shop(session) -> tuple[Key, Product, Product]:
    """Two tracked products with 50 in stock each: an order of 1 and 51 takes the first's unit, then fails."""
    store = await create_store(session)
    key = await create_key(session, store)
    first, second = await create_product(session, store), await create_product(session, store)
    await session.commit()
    return key, first, second


def _failing_lines(first: Product, second: Product) -> list[dict[str, object]]:
    return [{"productId": str(first.id), "quantity": 1}, {"productId": str(second.id), "quantity": 51}]


async def _state(sessionmaker, store_id: int, first: Product) -> tuple[int, list[str], int]:
    async with sessionmaker() as reading:
        stock = await reading.scalar(select(Product.stock_quantity).where(Product.id == first.id))
        names = list(await reading.scalars(select(Product.name).where(Product.store_id == store_id)))
        orders = await reading.scalar(select(func.count()).select_from(Order).where(Order.store_id == store_id))
    return int(stock or 0), sorted(names), int(orders or 0)


async def test_a_lone_mutation_runs_in_the_request_transaction_without_a_savepoint(session, client, count_statements):
    key, _, _ = await _shop(session)
    data_of(await client.get("/v1/whoami", headers=key.headers))

    with count_statements() as counter:
        response = await client.post("/v1/products", json={"name": "Tapis", "price": 1500}, headers=writing(key))

    data_of(response, 201)
    assert [statement for statement in counter.statements if SAVEPOINT.match(statement)] == []


async def test_a_failed_first_mutation_leaves_nothing_and_the_next_one_commits(session, gql, sessionmaker):
    key, first, second = await _shop(session)

    payload = await gql.query(CHECKOUT_THEN_CREATE, {"lines": _failing_lines(first, second)}, headers=key.headers)

    assert user_errors(payload, "checkout") == [("lines[1].quantity", "insufficient_stock")]
    succeeded(payload, "create")
    assert await _state(sessionmaker, key.store_id, first) == (50, sorted([first.name, second.name, "Kept"]), 0)


async def test_a_failed_later_mutation_leaves_nothing_and_the_earlier_one_commits(session, gql, sessionmaker):
    key, first, second = await _shop(session)

    payload = await gql.query(CREATE_THEN_CHECKOUT, {"lines": _failing_lines(first, second)}, headers=key.headers)

    succeeded(payload, "create")
    assert user_errors(payload, "checkout") == [("lines[1].quantity", "insufficient_stock")]
    assert await _state(sessionmaker, key.store_id, first) == (50, sorted([first.name, second.name, "Kept"]), 0)


async def test_a_failed_lone_mutation_leaves_nothing(session, gql, sessionmaker):
    key, first, second = await _shop(session)

    payload = await gql.query(CHECKOUT_ONLY, {"lines": _failing_lines(first, second)}, headers=key.headers)

    assert user_errors(payload, "checkout") == [("lines[1].quantity", "insufficient_stock")]
    assert await _state(sessionmaker, key.store_id, first) == (50, sorted([first.name, second.name]), 0)

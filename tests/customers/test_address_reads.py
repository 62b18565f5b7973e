"""Reading address books and zones costs a constant number of statements, whatever the page holds, and takes the
compiled way (schema/core/compiled/) through /graphql and /v1 with the same bytes as graphql-core's answer."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from db.models import Customer, CustomerAddress, CustomerTag
from storegraph.app import create_app
from tests.conftest import app_settings, services_of
from tests.schema.test_compiled_differential import compiled_of
from tests.schema.test_compiled_execution import both_ways
from tests.schema.test_query_counts import TRANSACTION_CONTROL
from tests.support.factories import Key, create_key, create_store, create_zone

BASE = datetime(2024, 3, 1, 8, 0, 0)
BOOKS = """
query { customers(first: 200) { totalCount nodes {
  id defaultAddress { id line1 }
  addresses { id isDefault wilayaId country deliveryZone { id name wilayaIds homeFee deskFee } }
} } }
"""
# auth, customers page, customers count, address books, the store's zones
BOOKS_STATEMENTS = 5
# A page of 200 customers, each with a book and its zones: over the default maximum cost of 1000.
MAX_COST = 10_000


@pytest.fixture(scope="module")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(app_settings(database_url, max_query_cost=MAX_COST))
    yield application
    await services_of(application).engine.dispose()


async def _store_with_books(session, customers: int) -> tuple[Key, list[int]]:
    """Customers with three addresses each: the default in a zone, one in another zone, one in none."""
    store = await create_store(session)
    key = await create_key(session, store)
    await create_zone(session, store, [16, 9], name="Centre", home_fee=500, desk_fee=300)
    await create_zone(session, store, [31], name="Ouest", home_fee=800, desk_fee=500)
    people = [
        Customer(
            store_id=store.id,
            first_name=f"Customer{number}",
            phone=f"0661{number:06d}",
            created_at=BASE + timedelta(minutes=number),
            updated_at=BASE + timedelta(minutes=number),
        )
        for number in range(customers)
    ]
    session.add_all(people)
    await session.flush()
    session.add_all(
        CustomerAddress(
            store_id=store.id,
            customer_id=person.id,
            line1=f"{index} Rue {person.first_name}",
            wilaya_id=wilaya,
            is_default=index == 0,
            created_at=BASE + timedelta(hours=index),
            updated_at=BASE + timedelta(hours=index),
        )
        for person in people
        for index, wilaya in enumerate((16, 31, 1))
    )
    await session.commit()
    return key, [person.id for person in people]


async def _measure(gql, count_statements, key: Key, document: str) -> tuple[dict[str, Any], list[str]]:
    warm_up = await gql.query("{ viewer { keyId } }", headers=key.headers)
    assert "errors" not in warm_up, warm_up
    with count_statements() as counter:
        payload = await gql.query(document, headers=key.headers)
    assert "errors" not in payload, payload
    return payload, [statement for statement in counter.statements if not TRANSACTION_CONTROL.match(statement)]


def _check_books(payload: dict[str, Any], customers: int) -> None:
    nodes = payload["data"]["customers"]["nodes"]
    assert len(nodes) == customers
    for node in nodes:
        book = node["addresses"]
        assert [address["wilayaId"] for address in book] == [16, 1, 31]
        assert node["defaultAddress"]["id"] == book[0]["id"]
        assert [address["deliveryZone"] and address["deliveryZone"]["name"] for address in book] == [
            "Centre",
            None,
            "Ouest",
        ]


async def test_a_page_of_200_customers_with_books_and_zones_costs_what_a_page_of_1_does(session, gql, count_statements):
    one_key, _ = await _store_with_books(session, 1)
    many_key, _ = await _store_with_books(session, 200)

    one, one_statements = await _measure(gql, count_statements, one_key, BOOKS)
    many, many_statements = await _measure(gql, count_statements, many_key, BOOKS)

    _check_books(one, 1)
    _check_books(many, 200)
    assert len(many_statements) == len(one_statements), many_statements
    assert len(one_statements) == BOOKS_STATEMENTS, one_statements


async def test_books_and_zones_take_the_compiled_way_with_the_same_answers(app, session, client):
    key, customer_ids = await _store_with_books(session, 3)
    headers = {**key.headers, "X-Request-Id": "req_books"}
    counts = compiled_of(app).counts
    before = dataclasses.replace(counts)
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/graphql", {"json": {"query": BOOKS}}),
        ("POST", "/graphql", {"json": {"query": "{ deliveryZones { id name wilayaIds homeFee deskFee } }"}}),
        ("GET", f"/v1/customers/{customer_ids[0]}/addresses", {}),
        ("GET", "/v1/delivery-zones", {}),
    ]

    for method, url, kwargs in requests:
        answer = await both_ways(app, client, method, url, headers=headers, **kwargs)
        assert b'"errors"' not in answer, answer

    assert counts.compiled - before.compiled == len(requests)
    assert (counts.fell_back, counts.not_covered) == (before.fell_back, before.not_covered)


PROFILES = """
query { customers(first: 200) { totalCount nodes {
  id tags defaultAddress { id line1 }
  addresses { id isDefault wilayaId deliveryZone { id name homeFee deskFee } }
} } }
"""
# BOOKS_STATEMENTS: the page reads its customers' tags in its own statement
PROFILE_STATEMENTS = BOOKS_STATEMENTS


async def _tagged(session, customer_ids: list[int], store_id: int) -> None:
    session.add_all(
        CustomerTag(store_id=store_id, customer_id=customer_id, name=name, name_key=name.lower())
        for customer_id in customer_ids
        for name in ("VIP", "wholesale")
    )
    await session.commit()


async def test_a_page_of_200_customers_with_tags_books_and_zones_costs_what_a_page_of_1_does(
    session, gql, count_statements
):
    pages = {}
    for customers in (1, 200):
        key, customer_ids = await _store_with_books(session, customers)
        store_id = (await session.get(Customer, customer_ids[0])).store_id
        await _tagged(session, customer_ids, store_id)
        pages[customers] = await _measure(gql, count_statements, key, PROFILES)

    (one, one_statements), (many, many_statements) = pages[1], pages[200]
    for payload, customers in ((one, 1), (many, 200)):
        nodes = payload["data"]["customers"]["nodes"]
        assert len(nodes) == customers
        assert all(node["tags"] == ["VIP", "wholesale"] and len(node["addresses"]) == 3 for node in nodes)
    assert len(many_statements) == len(one_statements) == PROFILE_STATEMENTS, many_statements

"""Address books and zones stay exact under concurrent writes: each request is its own HTTP call with its own
connection. On PostgreSQL they run at once (the customer's row lock orders a book's writes; the unique (store,
wilaya) settles zones); SQLite queues writers and must give the same answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import CustomerAddress, ZoneWilaya
from storegraph.rules.customers.addresses import MAX_ADDRESSES
from tests.support.factories import create_customer, create_key, create_store

ADD = """
mutation($input: AddCustomerAddressInput!) {
  addCustomerAddress(input: $input) { address { id isDefault } userErrors { field code } }
}
"""
CREATE_ZONE = """
mutation($input: CreateDeliveryZoneInput!) {
  createDeliveryZone(input: $input) { deliveryZone { id } userErrors { field code } }
}
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    await session.commit()
    return store, key, customer


async def at_once(gql, key, document: str, variables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    payloads = await asyncio.gather(*(gql.query(document, each, headers=key.headers) for each in variables))
    for payload in payloads:
        assert "errors" not in payload, payload
    return payloads


async def book(sessionmaker, customer_id: int) -> list[bool]:
    async with sessionmaker() as session:
        stmt = select(CustomerAddress.is_default).where(CustomerAddress.customer_id == customer_id)
        return list((await session.execute(stmt)).scalars())


def address_input(customer_id: int, number: int) -> dict[str, Any]:
    return {"input": {"customerId": str(customer_id), "line1": f"{number} Rue Khelifa Boukhalfa", "wilayaId": 16}}


async def test_two_first_addresses_at_once_make_exactly_one_default(gql, sessionmaker, shop):
    _store, key, customer = shop

    payloads = await at_once(gql, key, ADD, [address_input(customer.id, number) for number in range(2)])

    assert sorted(payload["data"]["addCustomerAddress"]["address"]["isDefault"] for payload in payloads) == [
        False,
        True,
    ]
    assert sorted(await book(sessionmaker, customer.id)) == [False, True]


async def test_twenty_five_adds_at_once_leave_twenty_addresses_one_default(gql, sessionmaker, shop):
    _store, key, customer = shop

    payloads = await at_once(gql, key, ADD, [address_input(customer.id, number) for number in range(25)])

    errors = [payload["data"]["addCustomerAddress"]["userErrors"] for payload in payloads]
    assert sum(1 for each in errors if each == []) == MAX_ADDRESSES
    assert [each for each in errors if each] == [[{"field": "customerId", "code": "conflict"}]] * 5
    defaults = await book(sessionmaker, customer.id)
    assert (len(defaults), defaults.count(True)) == (MAX_ADDRESSES, 1)


async def test_two_zones_taking_one_wilaya_at_once_leave_it_in_one_zone(gql, sessionmaker, shop):
    store, key, _customer = shop
    variables = [
        {"input": {"name": f"Zone {number}", "wilayaIds": [16, 20 + number], "homeFee": 500, "deskFee": 300}}
        for number in range(2)
    ]

    payloads = await at_once(gql, key, CREATE_ZONE, variables)

    errors = sorted(str(payload["data"]["createDeliveryZone"]["userErrors"]) for payload in payloads)
    assert errors == ["[]", str([{"field": "wilayaIds", "code": "conflict"}])]
    async with sessionmaker() as session:
        held = await session.scalar(select(func.count()).select_from(ZoneWilaya).where(ZoneWilaya.store_id == store.id))
    assert held == 2

"""The address book through GraphQL: addCustomerAddress, updateCustomerAddress, setDefaultCustomerAddress,
deleteCustomerAddress (customers:write), and Customer.addresses / defaultAddress / CustomerAddress.deliveryZone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from db.models import CustomerAddress
from storegraph.platform.auth.scopes import DEFAULT_PLATFORM_SCOPES, Scope
from storegraph.rules.customers.addresses import MAX_ADDRESSES
from tests.support.factories import create_address, create_customer, create_key, create_store, create_zone
from tests.support.mutation_helpers import assert_insufficient_scope, result_of, succeeded, user_errors

ADDRESS = "id label line1 line2 wilayaId commune postalCode country phone isDefault deliveryZone { id name }"
BOOK = "customer { id addresses { id isDefault } defaultAddress { id } }"
ADD = f"""
mutation($input: AddCustomerAddressInput!) {{
  addCustomerAddress(input: $input) {{ address {{ {ADDRESS} }} {BOOK} userErrors {{ field code message }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateCustomerAddressInput!) {{
  updateCustomerAddress(input: $input) {{ address {{ {ADDRESS} }} {BOOK} userErrors {{ field code message }} }}
}}
"""
SET_DEFAULT = f"""
mutation($id: ID!, $customerId: ID) {{
  setDefaultCustomerAddress(id: $id, customerId: $customerId) {{
    address {{ id isDefault }} {BOOK} userErrors {{ field code message }}
  }}
}}
"""
DELETE = f"""
mutation($id: ID!, $customerId: ID) {{
  deleteCustomerAddress(id: $id, customerId: $customerId) {{ deletedId {BOOK} userErrors {{ field code message }} }}
}}
"""
READ = f"""
query($id: ID!) {{
  customer(id: $id) {{ addresses {{ {ADDRESS} }} defaultAddress {{ id line1 }} }}
}}
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    await session.commit()
    return store, key, customer


async def book_of(sessionmaker, customer_id: int) -> list[tuple[int, bool]]:
    """(id, is_default) of every address of the customer, as committed, oldest first."""
    async with sessionmaker() as session:
        stmt = (
            select(CustomerAddress.id, CustomerAddress.is_default)
            .where(CustomerAddress.customer_id == customer_id)
            .order_by(CustomerAddress.id)
        )
        return [(row.id, row.is_default) for row in (await session.execute(stmt)).all()]


async def add(gql, key, customer_id: int, **fields: Any) -> dict[str, Any]:
    variables = {
        "input": {"customerId": str(customer_id), "line1": "12 Rue Larbi Ben M'hidi", "wilayaId": 16, **fields}
    }
    return await gql.query(ADD, variables, headers=key.headers)


async def added_id(gql, key, customer_id: int, **fields: Any) -> str:
    return str(succeeded(await add(gql, key, customer_id, **fields), "addCustomerAddress")["address"]["id"])


# --- adding ------------------------------------------------------------------------------------------------------


async def test_the_first_address_becomes_the_default_in_dz_with_its_phone_normalised(gql, shop):
    _store, key, customer = shop

    payload = await add(gql, key, customer.id, label=" Maison ", phone="0555 12 34 56", postalCode="16000")

    result = succeeded(payload, "addCustomerAddress")
    address = result["address"]
    assert address["isDefault"] is True
    assert (address["country"], address["wilayaId"], address["phone"]) == ("DZ", 16, "0555123456")
    assert (address["label"], address["postalCode"], address["line2"]) == ("Maison", "16000", None)
    assert result["customer"]["defaultAddress"] == {"id": address["id"]}
    assert result["customer"]["addresses"] == [{"id": address["id"], "isDefault": True}]


async def test_a_second_address_is_not_the_default_unless_asked(gql, sessionmaker, shop):
    _store, key, customer = shop
    first = await added_id(gql, key, customer.id)

    second = await added_id(gql, key, customer.id, isDefault=False)

    assert await book_of(sessionmaker, customer.id) == [(int(first), True), (int(second), False)]


async def test_adding_an_address_as_default_moves_the_default_to_it(gql, sessionmaker, shop):
    _store, key, customer = shop
    first = await added_id(gql, key, customer.id)

    payload = await add(gql, key, customer.id, isDefault=True)

    second = succeeded(payload, "addCustomerAddress")["address"]["id"]
    assert await book_of(sessionmaker, customer.id) == [(int(first), False), (int(second), True)]
    assert result_of(payload, "addCustomerAddress")["customer"]["defaultAddress"] == {"id": second}


async def test_a_country_is_read_in_any_case_and_an_address_abroad_has_no_wilaya(gql, shop):
    _store, key, customer = shop

    payload = await add(gql, key, customer.id, country="fr", wilayaId=None, phone="+33 6 12 34 56 78")

    address = succeeded(payload, "addCustomerAddress")["address"]
    assert (address["country"], address["wilayaId"], address["phone"]) == ("FR", None, "+33612345678")


async def test_the_twenty_first_address_is_refused_and_nothing_is_added(session, gql, sessionmaker, shop):
    _store, key, customer = shop
    for _ in range(MAX_ADDRESSES):
        await create_address(session, customer)
    await session.commit()
    before = await book_of(sessionmaker, customer.id)

    payload = await add(gql, key, customer.id)

    assert user_errors(payload, "addCustomerAddress") == [("customerId", "conflict")]
    assert "at most 20" in result_of(payload, "addCustomerAddress")["userErrors"][0]["message"]
    assert await book_of(sessionmaker, customer.id) == before


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"country": "XX"}, "country", "invalid"),
        ({"country": "DZA"}, "country", "invalid"),
        ({"wilayaId": None}, "wilayaId", "blank"),
        ({"wilayaId": 59}, "wilayaId", "out_of_range"),
        ({"wilayaId": 0}, "wilayaId", "out_of_range"),
        ({"country": "MA", "wilayaId": 16}, "wilayaId", "invalid"),
        ({"phone": "12"}, "phone", "invalid_phone"),
        ({"line1": "   "}, "line1", "blank"),
        ({"line1": "x" * 256}, "line1", "too_long"),
        ({"label": "x" * 51}, "label", "too_long"),
        ({"postalCode": "1" * 21}, "postalCode", "too_long"),
        ({"commune": "bad\x00name"}, "commune", "invalid"),
    ],
)
async def test_adding_bad_input_is_refused_and_writes_nothing(gql, sessionmaker, shop, fields, field, code):
    _store, key, customer = shop

    payload = await add(gql, key, customer.id, **fields)

    assert user_errors(payload, "addCustomerAddress") == [(field, code)]
    assert result_of(payload, "addCustomerAddress")["address"] is None
    assert await book_of(sessionmaker, customer.id) == []


async def test_adding_to_another_stores_customer_is_not_found(session, gql, sessionmaker, shop):
    _store, key, _customer = shop
    stranger = await create_customer(session, await create_store(session))
    await session.commit()

    payload = await add(gql, key, stranger.id)

    assert user_errors(payload, "addCustomerAddress") == [("customerId", "not_found")]
    assert await book_of(sessionmaker, stranger.id) == []


async def test_adding_without_customers_write_is_refused(session, gql, sessionmaker, shop):
    store, _key, customer = shop
    key = await create_key(session, store, scopes=DEFAULT_PLATFORM_SCOPES)
    await session.commit()

    payload = await add(gql, key, customer.id)

    assert_insufficient_scope(payload, "addCustomerAddress", "customers:write")
    assert await book_of(sessionmaker, customer.id) == []


# --- updating ----------------------------------------------------------------------------------------------------


async def test_an_update_changes_the_given_fields_only_and_null_clears(gql, shop):
    _store, key, customer = shop
    address_id = await added_id(gql, key, customer.id, line2="Bloc B", commune="Hydra")

    payload = await gql.query(UPDATE, {"input": {"id": address_id, "line2": None, "wilayaId": 9}}, headers=key.headers)

    address = succeeded(payload, "updateCustomerAddress")["address"]
    assert (address["line1"], address["line2"], address["commune"], address["wilayaId"]) == (
        "12 Rue Larbi Ben M'hidi",
        None,
        "Hydra",
        9,
    )


async def test_moving_an_address_abroad_drops_its_wilaya(gql, shop):
    _store, key, customer = shop
    address_id = await added_id(gql, key, customer.id)

    moved = await gql.query(UPDATE, {"input": {"id": address_id, "country": "TN"}}, headers=key.headers)

    address = succeeded(moved, "updateCustomerAddress")["address"]
    assert (address["country"], address["wilayaId"], address["deliveryZone"]) == ("TN", None, None)


async def test_an_address_abroad_cannot_be_given_a_wilaya(gql, sessionmaker, shop):
    _store, key, customer = shop
    address_id = await added_id(gql, key, customer.id, country="TN", wilayaId=None)

    refused = await gql.query(UPDATE, {"input": {"id": address_id, "wilayaId": 16}}, headers=key.headers)

    assert user_errors(refused, "updateCustomerAddress") == [("wilayaId", "invalid")]
    assert await book_of(sessionmaker, customer.id) == [(int(address_id), True)]


async def test_an_address_moved_back_to_dz_needs_a_wilaya(gql, shop):
    _store, key, customer = shop
    address_id = await added_id(gql, key, customer.id, country="TN", wilayaId=None)

    refused = await gql.query(UPDATE, {"input": {"id": address_id, "country": "DZ"}}, headers=key.headers)
    moved = await gql.query(UPDATE, {"input": {"id": address_id, "country": "DZ", "wilayaId": 31}}, headers=key.headers)

    assert user_errors(refused, "updateCustomerAddress") == [("wilayaId", "blank")]
    assert succeeded(moved, "updateCustomerAddress")["address"]["wilayaId"] == 31


async def test_an_update_to_default_moves_the_default(gql, sessionmaker, shop):
    _store, key, customer = shop
    first = await added_id(gql, key, customer.id)
    second = await added_id(gql, key, customer.id)

    payload = await gql.query(UPDATE, {"input": {"id": second, "isDefault": True}}, headers=key.headers)

    assert succeeded(payload, "updateCustomerAddress")["customer"]["defaultAddress"] == {"id": second}
    assert await book_of(sessionmaker, customer.id) == [(int(first), False), (int(second), True)]


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"isDefault": False}, "isDefault", "invalid"),
        ({"isDefault": None}, "isDefault", "blank"),
        ({"line1": None}, "line1", "blank"),
        ({"country": None}, "country", "blank"),
        ({"wilayaId": None}, "wilayaId", "blank"),
        ({"id": "abc"}, "id", "invalid"),
    ],
)
async def test_a_bad_update_is_refused_and_changes_nothing(gql, sessionmaker, shop, fields, field, code):
    _store, key, customer = shop
    address_id = await added_id(gql, key, customer.id)
    before = (await gql.query(READ, {"id": str(customer.id)}, headers=key.headers))["data"]

    payload = await gql.query(UPDATE, {"input": {"id": address_id, **fields}}, headers=key.headers)

    assert user_errors(payload, "updateCustomerAddress") == [(field, code)]
    assert (await gql.query(READ, {"id": str(customer.id)}, headers=key.headers))["data"] == before


# --- the default -------------------------------------------------------------------------------------------------


async def test_set_default_makes_the_address_the_only_default(gql, sessionmaker, shop):
    _store, key, customer = shop
    first = await added_id(gql, key, customer.id)
    second = await added_id(gql, key, customer.id)

    payload = await gql.query(SET_DEFAULT, {"id": second}, headers=key.headers)

    assert succeeded(payload, "setDefaultCustomerAddress")["address"] == {"id": second, "isDefault": True}
    assert await book_of(sessionmaker, customer.id) == [(int(first), False), (int(second), True)]


async def test_set_default_on_the_default_changes_nothing(gql, sessionmaker, shop):
    _store, key, customer = shop
    first = await added_id(gql, key, customer.id)

    payload = await gql.query(SET_DEFAULT, {"id": first}, headers=key.headers)

    assert succeeded(payload, "setDefaultCustomerAddress")["address"] == {"id": first, "isDefault": True}
    assert await book_of(sessionmaker, customer.id) == [(int(first), True)]


async def test_deleting_the_default_promotes_the_newest_remaining(gql, sessionmaker, shop):
    _store, key, customer = shop
    first = await added_id(gql, key, customer.id)
    second = await added_id(gql, key, customer.id)
    third = await added_id(gql, key, customer.id)
    succeeded(await gql.query(SET_DEFAULT, {"id": second}, headers=key.headers), "setDefaultCustomerAddress")

    payload = await gql.query(DELETE, {"id": second}, headers=key.headers)

    result = succeeded(payload, "deleteCustomerAddress")
    assert result["deletedId"] == second
    assert result["customer"]["defaultAddress"] == {"id": third}
    assert await book_of(sessionmaker, customer.id) == [(int(first), False), (int(third), True)]


async def test_deleting_another_address_keeps_the_default(gql, sessionmaker, shop):
    _store, key, customer = shop
    first = await added_id(gql, key, customer.id)
    second = await added_id(gql, key, customer.id)

    succeeded(await gql.query(DELETE, {"id": second}, headers=key.headers), "deleteCustomerAddress")

    assert await book_of(sessionmaker, customer.id) == [(int(first), True)]


async def test_deleting_the_last_address_leaves_no_default(gql, shop):
    _store, key, customer = shop
    only = await added_id(gql, key, customer.id)

    payload = await gql.query(DELETE, {"id": only}, headers=key.headers)

    assert succeeded(payload, "deleteCustomerAddress")["customer"] == {
        "id": str(customer.id),
        "addresses": [],
        "defaultAddress": None,
    }


# --- tenancy and ownership ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "field", "variables"),
    [
        (UPDATE, "updateCustomerAddress", lambda address: {"input": {"id": address, "label": "Work"}}),
        (SET_DEFAULT, "setDefaultCustomerAddress", lambda address: {"id": address}),
        (DELETE, "deleteCustomerAddress", lambda address: {"id": address}),
    ],
)
async def test_another_stores_address_is_not_found(session, gql, sessionmaker, shop, document, field, variables):
    _store, key, _customer = shop
    stranger = await create_customer(session, await create_store(session))
    theirs = await create_address(session, stranger, is_default=True)
    await session.commit()

    payload = await gql.query(document, variables(str(theirs.id)), headers=key.headers)

    assert user_errors(payload, field) == [("id", "not_found")]
    assert await book_of(sessionmaker, stranger.id) == [(theirs.id, True)]


@pytest.mark.parametrize(
    ("document", "field", "variables"),
    [
        (UPDATE, "updateCustomerAddress", lambda address, owner: {"input": {"id": address, "customerId": owner}}),
        (SET_DEFAULT, "setDefaultCustomerAddress", lambda address, owner: {"id": address, "customerId": owner}),
        (DELETE, "deleteCustomerAddress", lambda address, owner: {"id": address, "customerId": owner}),
    ],
)
async def test_an_address_named_with_another_customer_is_not_found(
    session, gql, sessionmaker, shop, document, field, variables
):
    store, key, customer = shop
    other = await create_customer(session, store)
    theirs = await create_address(session, other, is_default=False)
    await create_address(session, other, is_default=True)
    await session.commit()
    before = await book_of(sessionmaker, other.id)

    payload = await gql.query(document, variables(str(theirs.id), str(customer.id)), headers=key.headers)

    assert user_errors(payload, field) == [("id", "not_found")]
    assert await book_of(sessionmaker, other.id) == before


# --- reads -------------------------------------------------------------------------------------------------------


async def test_a_book_reads_default_first_then_newest_first(gql, shop):
    _store, key, customer = shop
    first = await added_id(gql, key, customer.id)
    second = await added_id(gql, key, customer.id)
    third = await added_id(gql, key, customer.id)

    payload = await gql.query(READ, {"id": str(customer.id)}, headers=key.headers)

    assert [address["id"] for address in payload["data"]["customer"]["addresses"]] == [first, third, second]
    assert payload["data"]["customer"]["defaultAddress"]["id"] == first


async def test_an_address_shows_the_zone_holding_its_wilaya(session, gql, shop):
    store, key, customer = shop
    zone = await create_zone(session, store, [16, 9], name="Centre")
    await create_zone(session, store, [31], name="Ouest")
    await create_address(session, customer, wilaya_id=16, is_default=True)
    await create_address(session, customer, wilaya_id=1)
    await create_address(session, customer, wilaya_id=None, country="FR")
    await session.commit()

    payload = await gql.query(READ, {"id": str(customer.id)}, headers=key.headers)

    zones = {address["wilayaId"]: address["deliveryZone"] for address in payload["data"]["customer"]["addresses"]}
    assert zones == {16: {"id": str(zone.id), "name": "Centre"}, 1: None, None: None}


async def test_an_address_shows_no_zone_of_another_store(session, gql, shop):
    _store, key, customer = shop
    await create_zone(session, await create_store(session), [16], name="Theirs")
    await create_address(session, customer, wilaya_id=16, is_default=True)
    await session.commit()

    payload = await gql.query(READ, {"id": str(customer.id)}, headers=key.headers)

    assert payload["data"]["customer"]["addresses"][0]["deliveryZone"] is None


async def test_a_customers_only_key_reads_addresses_with_their_zones(session, gql, shop):
    store, _key, customer = shop
    await create_zone(session, store, [16], name="Alger")
    await create_address(session, customer, wilaya_id=16, is_default=True)
    key = await create_key(session, store, scopes=(Scope.CUSTOMERS_READ,))
    await session.commit()

    payload = await gql.query(READ, {"id": str(customer.id)}, headers=key.headers)

    assert "errors" not in payload, payload
    assert payload["data"]["customer"]["addresses"][0]["deliveryZone"]["name"] == "Alger"

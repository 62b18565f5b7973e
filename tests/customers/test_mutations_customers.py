"""banCustomer, unbanCustomer and updateCustomerNotes (customers:write), and the ban fields of Customer."""

from __future__ import annotations

import pytest

from db.models import Customer
from storegraph.platform.auth.scopes import DEFAULT_PLATFORM_SCOPES, Scope
from tests.support.factories import create_customer, create_key, create_product, create_store
from tests.support.mutation_helpers import assert_insufficient_scope, snapshot, succeeded, user_errors

FIELDS = "id isBanned banReason bannedAt notes"
BAN = f"""
mutation($input: BanCustomerInput!) {{
  banCustomer(input: $input) {{ customer {{ {FIELDS} }} userErrors {{ field code message }} }}
}}
"""
UNBAN = f"""
mutation($id: ID!) {{ unbanCustomer(id: $id) {{ customer {{ {FIELDS} }} userErrors {{ field code message }} }} }}
"""
NOTES = f"""
mutation($input: UpdateCustomerNotesInput!) {{
  updateCustomerNotes(input: $input) {{ customer {{ {FIELDS} }} userErrors {{ field code message }} }}
}}
"""
PLACE_ORDER = """
mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { field code } } }
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    await session.commit()
    return store, key, customer


async def _other_key(session):
    key = await create_key(session, await create_store(session))
    await session.commit()
    return key


async def _default_key(session, store):
    """A key with the seed's default scopes: customers:read, but not customers:write."""
    key = await create_key(session, store, scopes=DEFAULT_PLATFORM_SCOPES)
    await session.commit()
    return key


# --- banCustomer ------------------------------------------------------------------------------------------------


async def test_ban_sets_the_flag_reason_and_time(gql, sessionmaker, shop):
    _store, key, customer = shop

    payload = await gql.query(BAN, {"input": {"id": str(customer.id), "reason": " chargebacks "}}, headers=key.headers)

    banned = succeeded(payload, "banCustomer")["customer"]
    assert (banned["isBanned"], banned["banReason"]) == (True, "chargebacks")
    assert banned["bannedAt"] is not None
    row = await snapshot(sessionmaker, Customer, customer.id)
    assert (row["is_banned"], row["ban_reason"]) == (True, "chargebacks")
    assert row["banned_at"] is not None


async def test_a_banned_customers_new_order_is_refused(session, gql, shop):
    store, key, customer = shop
    product = await create_product(session, store)
    await session.commit()
    succeeded(await gql.query(BAN, {"input": {"id": str(customer.id)}}, headers=key.headers), "banCustomer")

    payload = await gql.query(
        PLACE_ORDER,
        {
            "input": {
                "lines": [{"productId": str(product.id), "quantity": 1}],
                "customer": {"firstName": "Amine", "phone": customer.phone, "wilayaId": 16},
            }
        },
        headers=key.headers,
    )

    assert payload["data"]["placeOrder"]["userErrors"] == [{"field": None, "code": "customer_banned"}]


async def test_banning_again_replaces_the_reason_and_keeps_the_first_time(gql, sessionmaker, shop):
    _store, key, customer = shop
    succeeded(
        await gql.query(BAN, {"input": {"id": str(customer.id), "reason": "a"}}, headers=key.headers), "banCustomer"
    )
    first = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(BAN, {"input": {"id": str(customer.id), "reason": "b"}}, headers=key.headers)

    assert succeeded(payload, "banCustomer")["customer"]["banReason"] == "b"
    again = await snapshot(sessionmaker, Customer, customer.id)
    assert (again["ban_reason"], again["banned_at"]) == ("b", first["banned_at"])


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        ({"reason": "r" * 256}, "reason", "too_long"),
        ({"id": "abc"}, "id", "invalid"),
    ],
)
async def test_ban_refuses_invalid_input(gql, sessionmaker, shop, variables, field, code):
    _store, key, customer = shop
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(BAN, {"input": {"id": str(customer.id), **variables}}, headers=key.headers)

    assert user_errors(payload, "banCustomer") == [(field, code)]
    assert payload["data"]["banCustomer"]["customer"] is None
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_banning_another_stores_customer_is_not_found(session, gql, sessionmaker, shop):
    _store, _key, customer = shop
    other_key = await _other_key(session)
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(BAN, {"input": {"id": str(customer.id)}}, headers=other_key.headers)

    assert user_errors(payload, "banCustomer") == [("id", "not_found")]
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_ban_without_customers_write_is_refused(session, gql, sessionmaker, shop):
    store, _key, customer = shop
    key = await _default_key(session, store)
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(BAN, {"input": {"id": str(customer.id)}}, headers=key.headers)

    assert_insufficient_scope(payload, "banCustomer", "customers:write")
    assert await snapshot(sessionmaker, Customer, customer.id) == before


# --- unbanCustomer ----------------------------------------------------------------------------------------------


@pytest.fixture
async def banned(session, shop):
    store, key, _customer = shop
    customer = await create_customer(session, store, is_banned=True)
    row = await session.get(Customer, customer.id)
    row.ban_reason = "fraud"
    row.banned_at = row.created_at
    await session.commit()
    return store, key, customer


async def test_unban_clears_the_flag_reason_and_time(gql, sessionmaker, banned):
    _store, key, customer = banned

    payload = await gql.query(UNBAN, {"id": str(customer.id)}, headers=key.headers)

    unbanned = succeeded(payload, "unbanCustomer")["customer"]
    assert (unbanned["isBanned"], unbanned["banReason"], unbanned["bannedAt"]) == (False, None, None)
    row = await snapshot(sessionmaker, Customer, customer.id)
    assert (row["is_banned"], row["ban_reason"], row["banned_at"]) == (False, None, None)


async def test_unban_with_a_malformed_id_is_a_validation_error(gql, banned):
    _store, key, _customer = banned

    assert user_errors(await gql.query(UNBAN, {"id": "-1"}, headers=key.headers), "unbanCustomer") == [
        ("id", "invalid")
    ]


async def test_unbanning_another_stores_customer_is_not_found(session, gql, sessionmaker, banned):
    _store, _key, customer = banned
    other_key = await _other_key(session)
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(UNBAN, {"id": str(customer.id)}, headers=other_key.headers)

    assert user_errors(payload, "unbanCustomer") == [("id", "not_found")]
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_unban_without_customers_write_is_refused(session, gql, sessionmaker, banned):
    store, _key, customer = banned
    key = await _default_key(session, store)
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(UNBAN, {"id": str(customer.id)}, headers=key.headers)

    assert_insufficient_scope(payload, "unbanCustomer", "customers:write")
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_ban_fields_are_readable_with_customers_read(session, gql, banned):
    store, _key, customer = banned
    key = await create_key(session, store, scopes=(Scope.CUSTOMERS_READ,))
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { customer(id: $id) { isBanned banReason bannedAt } }",
        {"id": str(customer.id)},
        headers=key.headers,
    )

    assert "errors" not in payload
    assert payload["data"]["customer"]["banReason"] == "fraud"
    assert payload["data"]["customer"]["bannedAt"].endswith("Z")


async def test_a_customers_write_key_sees_the_customer_it_unbanned_as_its_reads_show_it(session, gql, client, banned):
    """customers:write includes customers:read: the payload, customer(id:) and GET /v1/customers/{id} agree."""
    store, _key, customer = banned
    key = await create_key(session, store, scopes=(Scope.CUSTOMERS_WRITE,))
    await session.commit()

    unbanned = succeeded(await gql.query(UNBAN, {"id": str(customer.id)}, headers=key.headers), "unbanCustomer")
    read = await gql.query(
        f"query($id: ID!) {{ customer(id: $id) {{ {FIELDS} }} }}", {"id": str(customer.id)}, headers=key.headers
    )
    rest = await client.get(f"/v1/customers/{customer.id}", headers=key.headers)

    assert "errors" not in read
    assert unbanned["customer"] == read["data"]["customer"]
    assert rest.status_code == 200, rest.text
    assert rest.json()["data"]["id"] == customer.id


# --- updateCustomerNotes ----------------------------------------------------------------------------------------


async def test_notes_are_replaced_and_null_clears_them(gql, sessionmaker, shop):
    _store, key, customer = shop

    payload = await gql.query(
        NOTES,
        {"input": {"id": str(customer.id), "notes": "Calls after 18h.\nPrefers desk delivery."}},
        headers=key.headers,
    )

    assert succeeded(payload, "updateCustomerNotes")["customer"]["notes"] == "Calls after 18h.\nPrefers desk delivery."
    assert (await snapshot(sessionmaker, Customer, customer.id))["notes"] == "Calls after 18h.\nPrefers desk delivery."

    cleared = await gql.query(NOTES, {"input": {"id": str(customer.id), "notes": None}}, headers=key.headers)

    assert succeeded(cleared, "updateCustomerNotes")["customer"]["notes"] is None
    assert (await snapshot(sessionmaker, Customer, customer.id))["notes"] is None


async def test_notes_longer_than_5000_characters_are_refused(gql, sessionmaker, shop):
    _store, key, customer = shop
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(NOTES, {"input": {"id": str(customer.id), "notes": "n" * 5001}}, headers=key.headers)

    assert user_errors(payload, "updateCustomerNotes") == [("notes", "too_long")]
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_notes_of_another_stores_customer_are_not_found(session, gql, sessionmaker, shop):
    _store, _key, customer = shop
    other_key = await _other_key(session)
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(NOTES, {"input": {"id": str(customer.id), "notes": "x"}}, headers=other_key.headers)

    assert user_errors(payload, "updateCustomerNotes") == [("id", "not_found")]
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_notes_without_customers_write_are_refused(session, gql, sessionmaker, shop):
    store, _key, customer = shop
    key = await _default_key(session, store)
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(NOTES, {"input": {"id": str(customer.id), "notes": "x"}}, headers=key.headers)

    assert_insufficient_scope(payload, "updateCustomerNotes", "customers:write")
    assert await snapshot(sessionmaker, Customer, customer.id) == before

"""createCustomer and updateCustomer (customers:write) and the profile fields of Customer, through GraphQL and
/v1: the phone normalised and unique per store (under concurrency too), the birth date, the locale, metadata merged
key by key, tags replaced, bad input refused with nothing changed, another store's customer not found."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from db.models import Customer, CustomerTag
from storegraph.platform.auth.scopes import DEFAULT_PLATFORM_SCOPES
from storegraph.platform.timestamps import utcnow
from tests.support.factories import create_customer, create_key, create_store
from tests.support.mutation_helpers import (
    assert_insufficient_scope,
    count_rows,
    result_of,
    snapshot,
    succeeded,
    user_errors,
)

FIELDS = (
    "id firstName lastName phone email gender birthDate locale acceptsMarketing metadata tags dialCode notes "
    "wilayaId commune address"
)
CREATE = f"""
mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{ customer {{ {FIELDS} }} userErrors {{ field code message }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateCustomerInput!) {{
  updateCustomer(input: $input) {{ customer {{ {FIELDS} }} userErrors {{ field code message }} }}
}}
"""
CONCURRENT_CREATIONS = 50


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store, phone="0555000001")
    await session.commit()
    return store, key, customer


def writes(key) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": str(uuid.uuid4())}


async def customer_count(sessionmaker, store) -> int:
    return await count_rows(sessionmaker, Customer, store.id)


# --- createCustomer -------------------------------------------------------------------------------------------


async def test_create_keeps_every_field_with_the_phone_normalised(gql, shop):
    _store, key, _customer = shop
    given = {
        "phone": "+213 661 23 45 67",
        "firstName": " Amina ",
        "lastName": "Haddad",
        "email": "amina@example.dz",
        "gender": "FEMALE",
        "birthDate": "1991-03-14",
        "locale": "fr_dz",
        "acceptsMarketing": True,
        "tags": ["VIP", "wholesale"],
        "metadata": {"source": "instagram", "size": {"shoe": 38}},
        "notes": "prefers evening delivery",
        "wilayaId": 16,
        "commune": "Hydra",
        "address": "12 rue Didouche",
    }

    created = succeeded(await gql.query(CREATE, {"input": given}, headers=key.headers), "createCustomer")["customer"]

    assert created["phone"] == "0661234567"
    assert created["firstName"] == "Amina"
    assert created["dialCode"] == 213
    assert created["locale"] == "fr-DZ"
    assert (created["gender"], created["birthDate"], created["acceptsMarketing"]) == ("FEMALE", "1991-03-14", True)
    assert created["tags"] == ["VIP", "wholesale"]
    assert created["metadata"] == {"source": "instagram", "size": {"shoe": 38}}
    assert (created["wilayaId"], created["commune"], created["address"]) == (16, "Hydra", "12 rue Didouche")


async def test_a_customer_created_with_only_a_phone_gets_the_defaults(gql, shop):
    _store, key, _customer = shop

    created = succeeded(
        await gql.query(CREATE, {"input": {"phone": "0770112233"}}, headers=key.headers), "createCustomer"
    )

    customer = created["customer"]
    assert (customer["acceptsMarketing"], customer["metadata"], customer["tags"]) == (False, {}, [])
    assert (customer["gender"], customer["birthDate"], customer["locale"]) == (None, None, None)


async def test_a_foreign_phone_is_kept_in_e164_with_its_calling_code(gql, shop):
    _store, key, _customer = shop

    payload = await gql.query(CREATE, {"input": {"phone": "+33 6 12 34 56 78"}}, headers=key.headers)

    customer = succeeded(payload, "createCustomer")["customer"]
    assert (customer["phone"], customer["dialCode"]) == ("+33612345678", 33)


async def test_a_phone_the_store_has_in_another_spelling_is_a_conflict_and_creates_nothing(gql, sessionmaker, shop):
    store, key, _customer = shop
    before = await customer_count(sessionmaker, store)

    payload = await gql.query(CREATE, {"input": {"phone": "+213 555 00 00 01"}}, headers=key.headers)

    assert user_errors(payload, "createCustomer") == [("phone", "conflict")]
    assert result_of(payload, "createCustomer")["customer"] is None
    assert await customer_count(sessionmaker, store) == before


async def test_the_same_phone_in_another_store_is_a_new_customer(gql, session, shop):
    _store, _key, customer = shop
    other_key = await create_key(session, await create_store(session))
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"phone": customer.phone}}, headers=other_key.headers)

    assert succeeded(payload, "createCustomer")["customer"]["phone"] == customer.phone


async def test_concurrent_creations_with_one_phone_make_one_customer(gql, sessionmaker, shop):
    store, key, _customer = shop
    spellings = ["0550 98 76 54", "0550987654", "+213550987654"]
    variables = [{"input": {"phone": spellings[n % 3], "firstName": f"N{n}"}} for n in range(CONCURRENT_CREATIONS)]

    payloads = await asyncio.gather(*(gql.query(CREATE, v, headers=key.headers) for v in variables))

    outcomes = [tuple(user_errors(payload, "createCustomer")) for payload in payloads]
    assert outcomes.count(()) == 1
    assert outcomes.count((("phone", "conflict"),)) == CONCURRENT_CREATIONS - 1
    async with sessionmaker() as session:
        stmt = (
            select(func.count())
            .select_from(Customer)
            .where(Customer.store_id == store.id, Customer.phone == "0550987654")
        )
        assert (await session.execute(stmt)).scalar_one() == 1


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        ({"phone": "12"}, "phone", "invalid_phone"),
        ({"phone": "  "}, "phone", "invalid_phone"),
        ({"phone": "0661000001", "email": "not-an-email"}, "email", "invalid_email"),
        (
            {"phone": "0661000001", "birthDate": (utcnow() + timedelta(days=2)).date().isoformat()},
            "birth_date",
            "out_of_range",
        ),
        ({"phone": "0661000001", "birthDate": "1850-01-01"}, "birth_date", "out_of_range"),
        ({"phone": "0661000001", "locale": "xx-ZZ"}, "locale", "invalid"),
        ({"phone": "0661000001", "locale": "french"}, "locale", "invalid"),
        ({"phone": "0661000001", "wilayaId": 59}, "wilaya_id", "out_of_range"),
        ({"phone": "0661000001", "firstName": "A" * 101}, "first_name", "too_long"),
        ({"phone": "0661000001", "metadata": {"k" * 41: 1}}, "metadata", "invalid"),
        ({"phone": "0661000001", "metadata": {f"k{n}": n for n in range(51)}}, "metadata", "too_many"),
        ({"phone": "0661000001", "metadata": {"big": "x" * 17_000}}, "metadata", "too_large"),
        ({"phone": "0661000001", "metadata": ["not", "an", "object"]}, "metadata", "invalid"),
        ({"phone": "0661000001", "tags": ["ok", " "]}, "tags[1]", "blank"),
    ],
)
async def test_bad_input_is_refused_and_creates_nothing(gql, sessionmaker, shop, given, field, code):
    store, key, _customer = shop
    before = await customer_count(sessionmaker, store)

    payload = await gql.query(CREATE, {"input": given}, headers=key.headers)

    assert (field, code) in user_errors(payload, "createCustomer")
    assert await customer_count(sessionmaker, store) == before


async def test_creating_needs_customers_write(gql, session, shop):
    store, _key, _customer = shop
    reader = await create_key(session, store, scopes=DEFAULT_PLATFORM_SCOPES)
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"phone": "0661000002"}}, headers=reader.headers)

    assert_insufficient_scope(payload, "createCustomer", "customers:write")


async def test_existing_customers_get_no_consent_and_empty_metadata(gql, session, shop):
    store, key, _customer = shop
    # The columns a row written before the profile existed leaves out take the migration's defaults.
    await session.execute(
        text(
            "INSERT INTO customers (store_id, first_name, last_name, phone, total_orders, total_spent, fraud_score, "
            "is_banned, created_at, updated_at) VALUES (:store, 'Old', 'Row', '0661999999', 0, 0, 0, false, :now, :now)"
        ),
        {"store": store.id, "now": utcnow()},
    )
    await session.commit()

    payload = await gql.query(
        '{ customers(filter: {phone: "0661999999"}) { nodes { acceptsMarketing metadata tags } } }', headers=key.headers
    )

    assert payload["data"]["customers"]["nodes"] == [{"acceptsMarketing": False, "metadata": {}, "tags": []}]


# --- updateCustomer -------------------------------------------------------------------------------------------


async def test_update_changes_only_the_given_fields(gql, sessionmaker, shop):
    _store, key, customer = shop

    payload = await gql.query(
        UPDATE, {"input": {"id": str(customer.id), "gender": "MALE", "locale": "ar"}}, headers=key.headers
    )

    updated = succeeded(payload, "updateCustomer")["customer"]
    assert (updated["gender"], updated["locale"], updated["firstName"]) == ("MALE", "ar", "Amine")
    assert (await snapshot(sessionmaker, Customer, customer.id))["phone"] == "0555000001"


async def test_metadata_is_merged_key_by_key_and_null_deletes_a_key(gql, shop):
    _store, key, customer = shop
    first = {"input": {"id": str(customer.id), "metadata": {"a": 1, "b": {"c": 2}}}}
    succeeded(await gql.query(UPDATE, first, headers=key.headers), "updateCustomer")

    second = {"input": {"id": str(customer.id), "metadata": {"a": None, "d": "new"}}}
    payload = await gql.query(UPDATE, second, headers=key.headers)

    assert succeeded(payload, "updateCustomer")["customer"]["metadata"] == {"b": {"c": 2}, "d": "new"}


async def test_tags_replace_the_set(gql, shop):
    _store, key, customer = shop
    succeeded(
        await gql.query(UPDATE, {"input": {"id": str(customer.id), "tags": ["a", "b"]}}, headers=key.headers),
        "updateCustomer",
    )

    payload = await gql.query(UPDATE, {"input": {"id": str(customer.id), "tags": ["B", "c"]}}, headers=key.headers)

    assert succeeded(payload, "updateCustomer")["customer"]["tags"] == ["B", "c"]


async def test_a_phone_another_customer_has_is_a_conflict_and_changes_nothing(gql, session, sessionmaker, shop):
    store, key, customer = shop
    other = await create_customer(session, store, phone="0555000002")
    await session.commit()
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(
        UPDATE, {"input": {"id": str(customer.id), "phone": "0555 00 00 02", "firstName": "X"}}, headers=key.headers
    )

    assert user_errors(payload, "updateCustomer") == [("phone", "conflict")]
    assert await snapshot(sessionmaker, Customer, customer.id) == before
    assert other.id != customer.id


async def test_the_customers_own_phone_in_another_spelling_is_no_conflict(gql, shop):
    _store, key, customer = shop

    payload = await gql.query(
        UPDATE, {"input": {"id": str(customer.id), "phone": "+213555000001"}}, headers=key.headers
    )

    assert succeeded(payload, "updateCustomer")["customer"]["phone"] == "0555000001"


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        ({"metadata": None}, "metadata", "blank"),
        ({"tags": None}, "tags", "blank"),
        ({"phone": None}, "phone", "blank"),
        ({"acceptsMarketing": None}, "accepts_marketing", "blank"),
        ({"birthDate": "2999-01-01", "firstName": "Changed"}, "birth_date", "out_of_range"),
        ({"tags": ["x" * 41], "firstName": "Changed"}, "tags[0]", "too_long"),
    ],
)
async def test_bad_updates_change_nothing(gql, session, sessionmaker, shop, given, field, code):
    _store, key, customer = shop
    session.add(CustomerTag(store_id=customer.store_id, customer_id=customer.id, name="keep", name_key="keep"))
    await session.commit()
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(UPDATE, {"input": {"id": str(customer.id), **given}}, headers=key.headers)

    assert (field, code) in user_errors(payload, "updateCustomer")
    assert await snapshot(sessionmaker, Customer, customer.id) == before
    tags = await gql.query(f'{{ customer(id: "{customer.id}") {{ tags }} }}', headers=key.headers)
    assert tags["data"]["customer"]["tags"] == ["keep"]


async def test_another_stores_customer_is_not_found(gql, session, sessionmaker, shop):
    _store, _key, customer = shop
    other_key = await create_key(session, await create_store(session))
    await session.commit()
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(UPDATE, {"input": {"id": str(customer.id), "firstName": "X"}}, headers=other_key.headers)

    assert user_errors(payload, "updateCustomer") == [("id", "not_found")]
    assert await snapshot(sessionmaker, Customer, customer.id) == before


# --- /v1 ------------------------------------------------------------------------------------------------------


async def test_post_v1_customers_creates_with_201_in_snake_case(client, shop):
    _store, key, _customer = shop
    body = {
        "phone": "0661 22 33 44",
        "first_name": "Yacine",
        "gender": "male",
        "birth_date": "1988-07-05",
        "accepts_marketing": True,
        "tags": ["vip"],
        "metadata": {"tier": "gold"},
    }

    response = await client.post("/v1/customers", json=body, headers=writes(key))

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert (data["phone"], data["first_name"], data["gender"], data["birth_date"]) == (
        "0661223344",
        "Yacine",
        "male",
        "1988-07-05",
    )
    assert (data["accepts_marketing"], data["tags"], data["metadata"], data["dial_code"]) == (
        True,
        ["vip"],
        {"tier": "gold"},
        213,
    )


async def test_post_v1_customers_replays_a_repeated_idempotency_key(client, sessionmaker, shop):
    store, key, _customer = shop
    headers = writes(key)
    before = await customer_count(sessionmaker, store)

    first = await client.post("/v1/customers", json={"phone": "0661 55 44 33"}, headers=headers)
    again = await client.post("/v1/customers", json={"phone": "0661 55 44 33"}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"] == first.json()["data"]
    assert await customer_count(sessionmaker, store) == before + 1


async def test_post_v1_customers_with_a_taken_phone_is_409_conflict(client, sessionmaker, shop):
    store, key, customer = shop
    before = await customer_count(sessionmaker, store)

    response = await client.post("/v1/customers", json={"phone": customer.phone}, headers=writes(key))

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["details"][0]["field"] == "phone"
    assert await customer_count(sessionmaker, store) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "0661000003", "birth_date": "2999-01-01"}, "birth_date"),
        ({"phone": "0661000003", "gender": "other"}, "gender"),
        ({"phone": "0661000003", "unknown": 1}, "unknown"),
        ({"first_name": "No phone"}, "phone"),
        ({"phone": "0661000003", "tags": ["ok", "a,b"]}, "tags.1"),
    ],
)
async def test_post_v1_customers_refuses_bad_bodies_with_422(client, sessionmaker, shop, body, field):
    store, key, _customer = shop
    before = await customer_count(sessionmaker, store)

    response = await client.post("/v1/customers", json=body, headers=writes(key))

    assert response.status_code == 422, response.text
    assert field in [detail["field"] for detail in response.json()["error"]["details"]]
    assert await customer_count(sessionmaker, store) == before


async def test_patch_v1_customer_merges_metadata_and_replaces_tags(client, shop):
    _store, key, customer = shop
    url = f"/v1/customers/{customer.id}"
    await client.patch(url, json={"metadata": {"a": 1, "b": 2}, "tags": ["x"]}, headers=writes(key))

    response = await client.patch(url, json={"metadata": {"a": None}, "tags": ["y", "Z"]}, headers=writes(key))

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["metadata"], data["tags"]) == ({"b": 2}, ["y", "Z"])


async def test_patch_v1_another_stores_customer_is_404(client, session, sessionmaker, shop):
    _store, _key, customer = shop
    other_key = await create_key(session, await create_store(session))
    await session.commit()
    before = await snapshot(sessionmaker, Customer, customer.id)

    response = await client.patch(f"/v1/customers/{customer.id}", json={"locale": "fr"}, headers=writes(other_key))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_get_v1_customer_shows_the_profile_fields(client, shop):
    _store, key, customer = shop

    response = await client.get(f"/v1/customers/{customer.id}", headers=key.headers)

    data = response.json()["data"]
    assert {"tags", "metadata", "gender", "birth_date", "locale", "accepts_marketing", "dial_code"} <= set(data)
    assert data["dial_code"] == 213

"""The address book through /v1: GET/POST /v1/customers/{id}/addresses, PATCH/DELETE
/v1/customers/{id}/addresses/{address_id} and POST .../{address_id}/default."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from storegraph.platform.auth.scopes import Scope
from storegraph.rules.customers.addresses import MAX_ADDRESSES
from tests.support.factories import Key, create_address, create_customer, create_key, create_store, create_zone
from tests.support.rest_calls import data_of, error_of, writing

ADDRESS_FIELDS = {
    "id",
    "label",
    "line1",
    "line2",
    "wilaya_id",
    "commune",
    "postal_code",
    "country",
    "phone",
    "is_default",
    "delivery_zone",
    "created_at",
    "updated_at",
}


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    await create_zone(session, store, [16], name="Alger", home_fee=500, desk_fee=300)
    await session.commit()
    return store, key, customer


async def book(client, key: Key, customer_id: int) -> dict[str, Any]:
    listed: dict[str, Any] = data_of(await client.get(f"/v1/customers/{customer_id}/addresses", headers=key.headers))
    return listed


async def post(client, key: Key, customer_id: int, **fields: Any) -> httpx.Response:
    body = {"line1": "3 Rue Hassiba Ben Bouali", "wilaya_id": 16, **fields}
    return await client.post(f"/v1/customers/{customer_id}/addresses", json=body, headers=writing(key))


async def test_post_answers_201_with_the_address_and_its_zone(client, shop):
    _store, key, customer = shop

    address = data_of(await post(client, key, customer.id, phone="+213 555 00 00 01", label="Bureau"), 201)

    assert set(address) == ADDRESS_FIELDS
    assert (address["is_default"], address["country"], address["phone"], address["label"]) == (
        True,
        "DZ",
        "0555000001",
        "Bureau",
    )
    assert (address["delivery_zone"]["name"], address["delivery_zone"]["home_fee"]) == ("Alger", 500)


async def test_the_list_is_the_whole_book_default_first(client, shop):
    _store, key, customer = shop
    first = data_of(await post(client, key, customer.id), 201)
    second = data_of(await post(client, key, customer.id, country="FR", wilaya_id=None), 201)

    listed = await book(client, key, customer.id)

    assert [item["id"] for item in listed["items"]] == [first["id"], second["id"]]
    assert (listed["next_cursor"], listed["has_more"]) == (None, False)
    assert listed["items"][1]["delivery_zone"] is None


async def test_patch_changes_the_given_fields(client, shop):
    _store, key, customer = shop
    address = data_of(await post(client, key, customer.id, line2="Apt 4"), 201)

    response = await client.patch(
        f"/v1/customers/{customer.id}/addresses/{address['id']}",
        json={"line2": None, "postal_code": "16000"},
        headers=writing(key),
    )

    changed = data_of(response)
    assert (changed["line1"], changed["line2"], changed["postal_code"]) == (address["line1"], None, "16000")


async def test_post_default_moves_the_default(client, shop):
    _store, key, customer = shop
    first = data_of(await post(client, key, customer.id), 201)
    second = data_of(await post(client, key, customer.id), 201)

    response = await client.post(f"/v1/customers/{customer.id}/addresses/{second['id']}/default", headers=writing(key))

    assert data_of(response)["is_default"] is True
    defaults = {item["id"]: item["is_default"] for item in (await book(client, key, customer.id))["items"]}
    assert defaults == {first["id"]: False, second["id"]: True}


async def test_delete_answers_deleted_and_promotes_the_newest(client, shop):
    _store, key, customer = shop
    first = data_of(await post(client, key, customer.id), 201)
    second = data_of(await post(client, key, customer.id), 201)

    response = await client.delete(f"/v1/customers/{customer.id}/addresses/{first['id']}", headers=writing(key))

    assert data_of(response) == {"id": first["id"], "deleted": True}
    assert [(item["id"], item["is_default"]) for item in (await book(client, key, customer.id))["items"]] == [
        (second["id"], True)
    ]


async def test_the_twenty_first_address_is_a_conflict_on_the_customer(session, client, shop):
    _store, key, customer = shop
    for _ in range(MAX_ADDRESSES):
        await create_address(session, customer)
    await session.commit()

    error = error_of(await post(client, key, customer.id), 409, "conflict")

    assert [detail["field"] for detail in error["details"]] == ["id"]
    assert "at most 20" in error["message"]
    assert len((await book(client, key, customer.id))["items"]) == MAX_ADDRESSES


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"country": "XX"}, "country", "invalid"),
        ({"country": "dz"}, "country", "invalid"),
        ({"country": "Algeria"}, "country", "invalid"),
        ({"wilaya_id": 59}, "wilaya_id", "out_of_range"),
        ({"wilaya_id": None}, "wilaya_id", "blank"),
        ({"country": "MA"}, "wilaya_id", "invalid"),
        ({"phone": "123"}, "phone", "invalid_phone"),
        ({"line1": ""}, "line1", "blank"),
        ({"colour": "red"}, "colour", "unknown_field"),
    ],
)
async def test_bad_bodies_are_refused_and_add_nothing(client, shop, body, field, code):
    _store, key, customer = shop

    error = error_of(await post(client, key, customer.id, **body), 422, "validation_error")

    assert (error["details"][0]["field"], error["details"][0]["code"]) == (field, code)
    assert (await book(client, key, customer.id))["items"] == []


async def test_another_stores_customer_is_not_found_on_every_address_path(session, client, shop):
    _store, key, _customer = shop
    stranger = await create_customer(session, await create_store(session))
    theirs = await create_address(session, stranger, is_default=True)
    await session.commit()
    base = f"/v1/customers/{stranger.id}/addresses"

    answers = [
        await client.get(base, headers=key.headers),
        await post(client, key, stranger.id),
        await client.patch(f"{base}/{theirs.id}", json={"label": "x"}, headers=writing(key)),
        await client.post(f"{base}/{theirs.id}/default", headers=writing(key)),
        await client.delete(f"{base}/{theirs.id}", headers=writing(key)),
    ]

    for response in answers:
        error_of(response, 404, "not_found")


async def test_an_address_under_another_customers_path_is_not_found(session, client, shop):
    store, key, customer = shop
    other = await create_customer(session, store)
    theirs = await create_address(session, other, is_default=True)
    await session.commit()
    path = f"/v1/customers/{customer.id}/addresses/{theirs.id}"

    answers = [
        await client.patch(path, json={"label": "x"}, headers=writing(key)),
        await client.post(f"{path}/default", headers=writing(key)),
        await client.delete(path, headers=writing(key)),
    ]

    for response in answers:
        error = error_of(response, 404, "not_found")
        assert "address" in error["message"].lower()
    assert [item["id"] for item in (await book(client, key, other.id))["items"]] == [theirs.id]


async def test_writing_an_address_needs_customers_write(session, client, shop):
    store, _key, customer = shop
    key = await create_key(session, store, scopes=(Scope.CUSTOMERS_READ,))
    await session.commit()

    error = error_of(await post(client, key, customer.id), 403, "insufficient_scope")

    assert "customers:write" in error["message"]
    assert (await book(client, key, customer.id))["items"] == []

"""archiveCustomer and restoreCustomer (seed 001's soft delete) through GraphQL and /v1: archived customers leave
every list (the list, its count, its search) unless the filter asks for them, `customer(id)` still answers, and a
checkout with the same phone restores them."""

from __future__ import annotations

from typing import Any

import pytest

from db.models import Customer
from storegraph.platform.auth.scopes import DEFAULT_PLATFORM_SCOPES
from tests.support.factories import create_customer, create_key, create_product, create_store
from tests.support.mutation_helpers import assert_insufficient_scope, snapshot, succeeded, user_errors

FIELDS = "id phone archivedAt erasedAt"
ARCHIVE = f"""
mutation($id: ID!) {{ archiveCustomer(id: $id) {{ customer {{ {FIELDS} }} userErrors {{ field code message }} }} }}
"""
RESTORE = f"""
mutation($id: ID!) {{ restoreCustomer(id: $id) {{ customer {{ {FIELDS} }} userErrors {{ field code message }} }} }}
"""
LIST = """
query($filter: CustomerFilter) { customers(first: 50, filter: $filter) { totalCount nodes { id archivedAt } } }
"""
PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { customer { id archivedAt totalOrders } userErrors { field code } }
}
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    kept = await create_customer(session, store, first_name="Kamel")
    archived = await create_customer(session, store, first_name="Karima")
    await session.commit()
    return store, key, kept, archived


def write_headers(key, idempotency_key: str) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": idempotency_key}


async def archive(gql, key, customer_id: int) -> dict[str, Any]:
    return succeeded(await gql.query(ARCHIVE, {"id": str(customer_id)}, headers=key.headers), "archiveCustomer")


async def listed_ids(gql, key, filter: dict[str, Any] | None = None) -> tuple[list[int], int]:
    payload = await gql.query(LIST, {"filter": filter}, headers=key.headers)
    assert "errors" not in payload, payload
    connection = payload["data"]["customers"]
    return [int(node["id"]) for node in connection["nodes"]], connection["totalCount"]


# --- archiveCustomer ---------------------------------------------------------------------------------------------


async def test_archive_sets_archived_at(gql, sessionmaker, shop):
    _store, key, _kept, archived = shop

    customer = (await archive(gql, key, archived.id))["customer"]

    assert customer["archivedAt"].endswith("Z")
    assert (await snapshot(sessionmaker, Customer, archived.id))["archived_at"] is not None


async def test_archiving_again_keeps_the_first_time(gql, sessionmaker, shop):
    _store, key, _kept, archived = shop
    first = (await archive(gql, key, archived.id))["customer"]["archivedAt"]

    again = (await archive(gql, key, archived.id))["customer"]["archivedAt"]

    assert again == first


async def test_an_archived_customer_leaves_the_list_and_its_count(gql, shop):
    _store, key, kept, archived = shop
    await archive(gql, key, archived.id)

    ids, total = await listed_ids(gql, key)

    assert (ids, total) == ([kept.id], 1)


async def test_an_archived_customer_leaves_the_search_and_the_phone_filter(gql, shop):
    _store, key, _kept, archived = shop
    await archive(gql, key, archived.id)

    assert await listed_ids(gql, key, {"search": "Karima"}) == ([], 0)
    assert await listed_ids(gql, key, {"phone": archived.phone}) == ([], 0)


async def test_is_archived_true_lists_only_the_archived(gql, shop):
    _store, key, _kept, archived = shop
    await archive(gql, key, archived.id)

    ids, total = await listed_ids(gql, key, {"isArchived": True})

    assert (ids, total) == ([archived.id], 1)


async def test_is_archived_false_is_the_default(gql, shop):
    _store, key, kept, archived = shop
    await archive(gql, key, archived.id)

    assert await listed_ids(gql, key, {"isArchived": False}) == await listed_ids(gql, key) == ([kept.id], 1)


async def test_customer_by_id_still_answers_an_archived_customer(gql, shop):
    _store, key, _kept, archived = shop
    await archive(gql, key, archived.id)

    payload = await gql.query(
        "query($id: ID!) { customer(id: $id) { id archivedAt } }", {"id": str(archived.id)}, headers=key.headers
    )

    assert payload["data"]["customer"]["id"] == str(archived.id)
    assert payload["data"]["customer"]["archivedAt"] is not None


async def test_archiving_another_stores_customer_is_not_found(session, gql, sessionmaker, shop):
    _store, _key, _kept, archived = shop
    other = await create_key(session, await create_store(session))
    await session.commit()
    before = await snapshot(sessionmaker, Customer, archived.id)

    payload = await gql.query(ARCHIVE, {"id": str(archived.id)}, headers=other.headers)

    assert user_errors(payload, "archiveCustomer") == [("id", "not_found")]
    assert await snapshot(sessionmaker, Customer, archived.id) == before


async def test_archive_with_a_malformed_id_is_a_validation_error(gql, shop):
    _store, key, _kept, _archived = shop

    assert user_errors(await gql.query(ARCHIVE, {"id": "abc"}, headers=key.headers), "archiveCustomer") == [
        ("id", "invalid")
    ]


@pytest.mark.parametrize(("document", "field"), [(ARCHIVE, "archiveCustomer"), (RESTORE, "restoreCustomer")])
async def test_archive_and_restore_need_customers_write(session, gql, sessionmaker, shop, document, field):
    store, _key, _kept, archived = shop
    default = await create_key(session, store, scopes=DEFAULT_PLATFORM_SCOPES)
    await session.commit()
    before = await snapshot(sessionmaker, Customer, archived.id)

    payload = await gql.query(document, {"id": str(archived.id)}, headers=default.headers)

    assert_insufficient_scope(payload, field, "customers:write")
    assert await snapshot(sessionmaker, Customer, archived.id) == before


# --- restoreCustomer ---------------------------------------------------------------------------------------------


async def test_restore_clears_archived_at_and_the_customer_is_listed_again(gql, sessionmaker, shop):
    _store, key, kept, archived = shop
    await archive(gql, key, archived.id)

    payload = await gql.query(RESTORE, {"id": str(archived.id)}, headers=key.headers)

    assert succeeded(payload, "restoreCustomer")["customer"]["archivedAt"] is None
    assert (await snapshot(sessionmaker, Customer, archived.id))["archived_at"] is None
    assert sorted((await listed_ids(gql, key))[0]) == sorted([kept.id, archived.id])


async def test_restoring_a_customer_that_is_not_archived_changes_nothing(gql, sessionmaker, shop):
    _store, key, kept, _archived = shop

    payload = await gql.query(RESTORE, {"id": str(kept.id)}, headers=key.headers)

    assert succeeded(payload, "restoreCustomer")["customer"]["archivedAt"] is None


async def test_restoring_another_stores_customer_is_not_found(session, gql, sessionmaker, shop):
    _store, key, _kept, archived = shop
    await archive(gql, key, archived.id)
    other = await create_key(session, await create_store(session))
    await session.commit()
    before = await snapshot(sessionmaker, Customer, archived.id)

    payload = await gql.query(RESTORE, {"id": str(archived.id)}, headers=other.headers)

    assert user_errors(payload, "restoreCustomer") == [("id", "not_found")]
    assert await snapshot(sessionmaker, Customer, archived.id) == before


# --- checkout ----------------------------------------------------------------------------------------------------


async def test_a_checkout_with_an_archived_customers_phone_restores_it(session, gql, sessionmaker, shop):
    store, key, _kept, archived = shop
    product = await create_product(session, store)
    await session.commit()
    await archive(gql, key, archived.id)
    spelled = f"+213{archived.phone[1:]}"

    payload = await gql.query(
        PLACE,
        {
            "input": {
                "lines": [{"productId": str(product.id), "quantity": 1}],
                "customer": {"firstName": "Karima", "phone": spelled, "wilayaId": 16},
            }
        },
        headers=key.headers,
    )

    customer = succeeded(payload, "placeOrder")["customer"]
    assert (customer["id"], customer["archivedAt"], customer["totalOrders"]) == (str(archived.id), None, 1)
    assert (await snapshot(sessionmaker, Customer, archived.id))["archived_at"] is None
    assert archived.id in (await listed_ids(gql, key))[0]


# --- /v1 -----------------------------------------------------------------------------------------------------------


async def test_rest_archive_answers_the_customer_with_archived_at(client, shop):
    _store, key, _kept, archived = shop

    response = await client.post(f"/v1/customers/{archived.id}/archive", headers=write_headers(key, "arch-1"))

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["id"] == archived.id
    assert data["archived_at"] is not None
    assert "T" not in data["archived_at"]
    assert data["erased_at"] is None


async def test_rest_list_hides_archived_customers_unless_is_archived_is_true(client, shop):
    _store, key, kept, archived = shop
    await client.post(f"/v1/customers/{archived.id}/archive", headers=write_headers(key, "arch-2"))

    default = await client.get("/v1/customers", headers=key.headers)
    only_archived = await client.get("/v1/customers?is_archived=true", headers=key.headers)
    live = await client.get("/v1/customers?is_archived=false", headers=key.headers)

    assert [item["id"] for item in default.json()["data"]["items"]] == [kept.id]
    assert [item["id"] for item in only_archived.json()["data"]["items"]] == [archived.id]
    assert [item["id"] for item in live.json()["data"]["items"]] == [kept.id]


async def test_rest_is_archived_must_be_a_boolean(client, shop):
    _store, key, _kept, _archived = shop

    response = await client.get("/v1/customers?is_archived=maybe", headers=key.headers)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_rest_get_still_answers_an_archived_customer(client, shop):
    _store, key, _kept, archived = shop
    await client.post(f"/v1/customers/{archived.id}/archive", headers=write_headers(key, "arch-3"))

    response = await client.get(f"/v1/customers/{archived.id}", headers=key.headers)

    assert response.status_code == 200
    assert response.json()["data"]["archived_at"] is not None


async def test_rest_restore_clears_archived_at(client, sessionmaker, shop):
    _store, key, _kept, archived = shop
    await client.post(f"/v1/customers/{archived.id}/archive", headers=write_headers(key, "arch-4"))

    response = await client.post(f"/v1/customers/{archived.id}/restore", headers=write_headers(key, "rest-4"))

    assert response.status_code == 200, response.text
    assert response.json()["data"]["archived_at"] is None
    assert (await snapshot(sessionmaker, Customer, archived.id))["archived_at"] is None


async def test_rest_archive_of_another_stores_customer_is_not_found(session, client, sessionmaker, shop):
    _store, _key, _kept, archived = shop
    other = await create_key(session, await create_store(session))
    await session.commit()

    response = await client.post(f"/v1/customers/{archived.id}/archive", headers=write_headers(other, "arch-5"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert (await snapshot(sessionmaker, Customer, archived.id))["archived_at"] is None

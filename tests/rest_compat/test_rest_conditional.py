"""Conditional GETs on /v1 (docs/rest.md): an ETag on every successful GET, 304 for a request that names
the current one, and an ETag that changes with every write to the store, whoever writes, and is never shared
between keys or stores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from db.models import Store, StoreVersion
from db.queries.store_versions import work_for_store
from tests.support.factories import Key, create_customer, create_key, create_order, create_product, create_store
from tests.support.rest_calls import data_of, writing


@pytest.fixture
async def shop(session) -> tuple[Store, Key]:
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return store, key


async def get(client: httpx.AsyncClient, key: Key, path: str, if_none_match: str | None = None) -> httpx.Response:
    headers = dict(key.headers)
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    return await client.get(path, headers=headers)


async def etag_of(client: httpx.AsyncClient, key: Key, path: str = "/v1/customers") -> str:
    response = await get(client, key, path)
    assert response.status_code == 200, response.text
    etag: str = response.headers["etag"]
    return etag


async def graphql(client: httpx.AsyncClient, key: Key, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": document, "variables": variables}, headers=key.headers)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    assert "errors" not in payload, payload
    return payload


# ----------------------------------------------------------------------------------------------- the answers


async def test_a_get_answers_a_strong_etag_kept_privately_for_30_seconds(client, shop):
    _, key = shop

    response = await get(client, key, "/v1/customers")

    assert response.status_code == 200
    assert response.headers["etag"].startswith('"')
    assert response.headers["etag"].endswith('"')
    assert response.headers["cache-control"] == "private, max-age=30"
    assert response.headers["vary"] == "Authorization"


async def test_a_get_with_the_current_etag_is_304_without_a_body(client, shop):
    _, key = shop
    etag = await etag_of(client, key)

    response = await get(client, key, "/v1/customers", etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "private, max-age=30"
    assert "content-length" not in response.headers or response.headers["content-length"] == "0"


async def test_a_304_for_the_stores_data_runs_no_operation(client, shop, count_statements, database_url):
    _, key = shop
    etag = await etag_of(client, key)

    with count_statements() as counter:
        response = await get(client, key, "/v1/customers", etag)

    assert response.status_code == 304
    # The key (tests look it up every time) and the store's version; SQLite reads the version in the request's
    # transaction, which the operation would read its data in, so its BEGIN too.
    expected = ["BEGIN"] if database_url.startswith("sqlite") else []
    assert [statement for statement in counter.statements if statement == "BEGIN"] == expected
    assert counter.count == 2 + len(expected), counter.statements


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("{etag}", id="strong"),
        pytest.param("W/{etag}", id="weak"),
        pytest.param('"other", {etag}', id="in-a-list"),
        pytest.param('W/"other" ,W/{etag} , "more"', id="weak-in-a-list"),
        pytest.param("*", id="any"),
    ],
)
async def test_if_none_match_forms_that_name_the_current_answer_are_304(client, shop, header):
    _, key = shop
    etag = await etag_of(client, key)

    response = await get(client, key, "/v1/customers", header.format(etag=etag))

    assert response.status_code == 304


@pytest.mark.parametrize("header", ['"other"', 'W/"other", "more"', "not-a-tag", '""'])
async def test_if_none_match_forms_that_do_not_name_it_are_200(client, shop, header):
    _, key = shop

    response = await get(client, key, "/v1/customers", header)

    assert response.status_code == 200
    assert response.json()["data"]["items"] == []


async def test_an_etag_of_another_list_or_query_string_is_200(client, shop):
    _, key = shop
    etag = await etag_of(client, key, "/v1/customers?limit=5")

    other_query = await get(client, key, "/v1/customers?limit=6", etag)
    other_list = await get(client, key, "/v1/products?limit=5", etag)

    assert other_query.status_code == 200
    assert other_list.status_code == 200


async def test_an_error_answer_has_no_etag(client, shop):
    _, key = shop

    response = await get(client, key, "/v1/customers/999999999")

    assert response.status_code == 404
    assert "etag" not in response.headers


async def test_a_write_answers_no_etag(client, shop):
    _, key = shop

    response = await client.post("/v1/customers", json={"phone": "0555000001"}, headers=writing(key))

    assert response.status_code == 201, response.text
    assert "etag" not in response.headers


# ------------------------------------------------------------------------------------- never across keys, stores


async def test_another_key_of_the_store_sending_an_etag_gets_200(client, session, shop):
    store, key = shop
    other = await create_key(session, store)
    await session.commit()
    etag = await etag_of(client, key)

    response = await get(client, other, "/v1/customers", etag)

    assert response.status_code == 200
    assert response.headers["etag"] != etag


async def test_a_key_of_another_store_sending_an_etag_gets_200(client, session, shop):
    _, key = shop
    other = await create_key(session, await create_store(session))
    await session.commit()
    etag = await etag_of(client, key)

    response = await get(client, other, "/v1/customers", etag)

    assert response.status_code == 200
    assert response.headers["etag"] != etag


# ------------------------------------------------------------------------------------- every write changes it


async def test_a_customer_created_over_rest_changes_the_etag(client, shop):
    _, key = shop
    etag = await etag_of(client, key)
    data_of(await client.post("/v1/customers", json={"phone": "0555000002"}, headers=writing(key)), 201)

    response = await get(client, key, "/v1/customers", etag)

    assert response.status_code == 200
    assert response.headers["etag"] != etag
    assert len(response.json()["data"]["items"]) == 1


async def test_a_customer_created_by_a_graphql_mutation_changes_the_etag(client, shop):
    _, key = shop
    etag = await etag_of(client, key)
    await graphql(
        client,
        key,
        "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }",
        {"input": {"phone": "0555000003"}},
    )

    response = await get(client, key, "/v1/customers", etag)

    assert response.status_code == 200
    assert len(response.json()["data"]["items"]) == 1


async def test_an_order_status_change_changes_the_etag_of_the_order(client, session, shop):
    store, key = shop
    customer = await create_customer(session, store)
    product = await create_product(session, store)
    order = await create_order(session, store, customer, [(product, 1)])
    await session.commit()
    path = f"/v1/orders/{order.id}"
    etag = await etag_of(client, key, path)
    data_of(await client.patch(path, json={"status": "confirmed"}, headers=writing(key)))

    response = await get(client, key, path, etag)

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "confirmed"


async def test_a_write_to_another_store_keeps_the_etag(client, session, shop):
    _, key = shop
    other = await create_key(session, await create_store(session))
    await session.commit()
    etag = await etag_of(client, key)
    data_of(await client.post("/v1/customers", json={"phone": "0555000004"}, headers=writing(other)), 201)

    response = await get(client, key, "/v1/customers", etag)

    assert response.status_code == 304


async def test_a_write_that_fails_and_undoes_its_work_keeps_the_etag(client, session, shop):
    store, key = shop
    await create_customer(session, store, phone="0555000005")
    await session.commit()
    etag = await etag_of(client, key)
    conflict = await client.post("/v1/customers", json={"phone": "0555000005"}, headers=writing(key))
    assert conflict.status_code == 409, conflict.text

    response = await get(client, key, "/v1/customers", etag)

    assert response.status_code == 304


async def test_a_session_that_writes_for_a_store_raises_only_its_version(sessionmaker, shop, session):
    store, _ = shop
    other = await create_store(session)
    await session.commit()
    before = await versions(sessionmaker, store.id, other.id)

    async with sessionmaker() as writing_session, writing_session.begin():
        work_for_store(writing_session, store.id)
        await create_customer(writing_session, store)

    assert await versions(sessionmaker, store.id, other.id) == [before[0] + 1, before[1]]


async def test_a_session_that_reads_raises_no_version(sessionmaker, shop):
    store, _ = shop
    before = await versions(sessionmaker, store.id)

    async with sessionmaker() as reading, reading.begin():
        work_for_store(reading, store.id)
        await reading.execute(select(Store.id))

    assert await versions(sessionmaker, store.id) == before


async def versions(sessionmaker, *store_ids: int) -> list[int]:
    async with sessionmaker() as reading:
        sums = select(StoreVersion.store_id, func.sum(StoreVersion.version)).group_by(StoreVersion.store_id)
        rows = dict((await reading.execute(sums.where(StoreVersion.store_id.in_(store_ids)))).all())
    return [int(rows.get(store_id, 0)) for store_id in store_ids]

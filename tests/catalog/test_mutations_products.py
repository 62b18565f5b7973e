"""createProduct / updateProduct: names of at most 100 characters, slugs unique per store even when the same name
is created concurrently, SKUs unique per store (a taken SKU stays a `conflict`)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Product
from tests.support.factories import create_key, create_product, create_store
from tests.support.mutation_helpers import count_rows, snapshot, succeeded, user_errors

CREATE = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id name slug sku } userErrors { field code message } }
}
"""
UPDATE = """
mutation($input: UpdateProductInput!) {
  updateProduct(input: $input) { product { id name slug } userErrors { field code message } }
}
"""
CONCURRENT_CREATIONS = 10


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store, name="Existing", sku="EXISTING-1")
    await session.commit()
    return store, key, product


async def all_at_once(gql, key, variables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every createProduct at once, each its own HTTP request (its own session and connection)."""
    payloads = await asyncio.gather(*(gql.query(CREATE, v, headers=key.headers) for v in variables))
    for payload in payloads:
        assert payload["_status"] == 200, payload
        assert "errors" not in payload, payload
    return [payload["data"]["createProduct"] for payload in payloads]


async def slugs_of(sessionmaker, store_id: int) -> list[str]:
    async with sessionmaker() as session:
        stmt = select(Product.slug).where(Product.store_id == store_id).order_by(Product.id)
        return list((await session.execute(stmt)).scalars())


# --- names: at most 100 characters --------------------------------------------------------------------------------


async def test_create_accepts_a_name_of_100_characters(gql, sessionmaker, shop):
    _store, key, _product = shop
    name = "é" * 100  # characters, not bytes

    payload = await gql.query(CREATE, {"input": {"name": name, "price": 1500}}, headers=key.headers)

    product = succeeded(payload, "createProduct")["product"]
    assert product["name"] == name
    assert (await snapshot(sessionmaker, Product, int(product["id"])))["name"] == name


async def test_create_refuses_a_name_of_101_characters_and_stores_nothing(gql, sessionmaker, shop):
    store, key, _product = shop

    payload = await gql.query(CREATE, {"input": {"name": "x" * 101, "price": 1500}}, headers=key.headers)

    assert user_errors(payload, "createProduct") == [("name", "too_long")]
    assert payload["data"]["createProduct"]["product"] is None
    assert await count_rows(sessionmaker, Product, store.id) == 1


async def test_update_accepts_a_name_of_100_characters(gql, sessionmaker, shop):
    _store, key, product = shop

    payload = await gql.query(UPDATE, {"input": {"id": str(product.id), "name": "y" * 100}}, headers=key.headers)

    assert succeeded(payload, "updateProduct")["product"]["name"] == "y" * 100
    assert (await snapshot(sessionmaker, Product, product.id))["name"] == "y" * 100


async def test_update_refuses_a_name_of_101_characters_and_changes_nothing(gql, sessionmaker, shop):
    _store, key, product = shop
    before = await snapshot(sessionmaker, Product, product.id)

    payload = await gql.query(UPDATE, {"input": {"id": str(product.id), "name": "y" * 101}}, headers=key.headers)

    assert user_errors(payload, "updateProduct") == [("name", "too_long")]
    assert await snapshot(sessionmaker, Product, product.id) == before


# --- slugs ------------------------------------------------------------------------------------------------------


async def test_create_derives_the_slug_from_the_name_and_numbers_it_when_taken(gql, shop):
    _store, key, _product = shop

    first = await gql.query(CREATE, {"input": {"name": "Tapis Berbère", "price": 9000}}, headers=key.headers)
    second = await gql.query(CREATE, {"input": {"name": "tapis berbere!", "price": 9000}}, headers=key.headers)

    assert succeeded(first, "createProduct")["product"]["slug"] == "tapis-berbere"
    assert succeeded(second, "createProduct")["product"]["slug"] == "tapis-berbere-2"


async def test_a_name_without_letters_or_digits_gets_the_fallback_slug(gql, shop):
    _store, key, _product = shop

    payload = await gql.query(CREATE, {"input": {"name": "★★★", "price": 100}}, headers=key.headers)

    assert succeeded(payload, "createProduct")["product"]["slug"] == "product"


async def test_ten_concurrent_creations_of_one_name_all_succeed_with_distinct_slugs(gql, sessionmaker, shop):
    store, key, _product = shop
    variables = [{"input": {"name": "Djellaba Brodée", "price": 7500}} for _ in range(CONCURRENT_CREATIONS)]

    results = await all_at_once(gql, key, variables)

    assert [result["userErrors"] for result in results] == [[]] * CONCURRENT_CREATIONS
    slugs = [result["product"]["slug"] for result in results]
    assert len(set(slugs)) == CONCURRENT_CREATIONS
    assert "djellaba-brodee" in slugs
    assert all(slug.startswith("djellaba-brodee") for slug in slugs)
    stored = await slugs_of(sessionmaker, store.id)
    assert sorted(stored) == sorted([*slugs, _product.slug])


async def test_concurrent_creations_with_one_sku_create_one_and_report_the_others_as_sku_conflicts(
    gql, sessionmaker, shop
):
    store, key, _product = shop
    variables = [
        {"input": {"name": "Burnous", "price": 12000, "sku": "BURNOUS-01"}} for _ in range(CONCURRENT_CREATIONS)
    ]

    results = await all_at_once(gql, key, variables)

    created = [result for result in results if result["product"] is not None]
    refused = [[(e["field"], e["code"]) for e in result["userErrors"]] for result in results if not result["product"]]
    assert len(created) == 1
    assert refused == [[("sku", "conflict")]] * (CONCURRENT_CREATIONS - 1)
    assert await count_rows(sessionmaker, Product, store.id) == 2


async def test_create_with_a_taken_sku_is_a_conflict(gql, sessionmaker, shop):
    store, key, product = shop

    payload = await gql.query(
        CREATE, {"input": {"name": "Another", "price": 100, "sku": product.sku}}, headers=key.headers
    )

    assert user_errors(payload, "createProduct") == [("sku", "conflict")]
    assert await count_rows(sessionmaker, Product, store.id) == 1


async def test_the_same_name_gets_the_same_slug_in_another_store(session, gql, shop):
    _store, key, _product = shop
    other_key = await create_key(session, await create_store(session))
    await session.commit()

    mine = await gql.query(CREATE, {"input": {"name": "Chèche", "price": 100}}, headers=key.headers)
    theirs = await gql.query(CREATE, {"input": {"name": "Chèche", "price": 100}}, headers=other_key.headers)

    assert succeeded(mine, "createProduct")["product"]["slug"] == "cheche"
    assert succeeded(theirs, "createProduct")["product"]["slug"] == "cheche"


async def test_a_description_with_a_nul_character_is_invalid_and_stores_nothing(gql, sessionmaker, shop):
    store, key, _product = shop

    payload = await gql.query(
        CREATE, {"input": {"name": "Robe", "price": 1500, "description": "a\u0000b"}}, headers=key.headers
    )

    assert user_errors(payload, "createProduct") == [("description", "invalid")]
    assert await count_rows(sessionmaker, Product, store.id) == 1

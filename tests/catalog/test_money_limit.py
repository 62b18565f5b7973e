"""One money limit (storegraph/platform/money.py): every check of an amount a client sends, the product rule, the
``Money`` scalar, the REST body and the OpenAPI document, accepts ``MAX_MONEY`` and refuses one more, saying so."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from graphql import GraphQLError

from db.models import Product
from rest_compat.openapi.document import generated_document
from schema.core.scalars import parse_money
from storegraph.platform.errors import ValidationFailed
from storegraph.platform.money import MAX_MONEY
from storegraph.rules.catalog.products import ProductChanges, create_product
from tests.support.factories import create_key, create_store
from tests.support.mutation_helpers import count_rows, succeeded

CREATE = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { price comparePrice costPrice } userErrors { field code message } }
}
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return store, key


def writing(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": str(uuid.uuid4())}


async def test_amounts_at_the_limit_are_accepted_through_graphql(gql, shop):
    _store, key = shop
    product = {"name": "Tapis", "price": MAX_MONEY, "comparePrice": MAX_MONEY, "costPrice": MAX_MONEY}

    payload = await gql.query(CREATE, {"input": product}, headers=key.headers)

    assert succeeded(payload, "createProduct")["product"] == {
        "price": MAX_MONEY,
        "comparePrice": MAX_MONEY,
        "costPrice": MAX_MONEY,
    }


async def test_amounts_at_the_limit_are_accepted_through_rest(client, shop):
    _store, key = shop
    body = {"name": "Tapis", "price": MAX_MONEY, "compare_price": MAX_MONEY, "cost_price": MAX_MONEY}

    response = await client.post("/v1/products", json=body, headers=writing(key.headers))

    assert response.status_code == 201, response.text
    assert response.json()["data"]["pricing"] == {
        "price": MAX_MONEY,
        "compare_price": MAX_MONEY,
        "cost_price": MAX_MONEY,
    }


@pytest.mark.parametrize("field", ["price", "compare_price", "cost_price"])
async def test_the_product_rule_refuses_one_more_naming_the_limit(session, sessionmaker, shop, field):
    store, _key = shop
    changes: dict[str, Any] = {"name": "Tapis", "price": 1500, field: MAX_MONEY + 1}

    with pytest.raises(ValidationFailed) as refused:
        await create_product(session, store.id, ProductChanges(**changes))

    [detail] = refused.value.details
    assert (detail.field, detail.code) == (field, "out_of_range")
    assert f"between 0 and {MAX_MONEY}" in detail.message
    await session.rollback()
    assert await count_rows(sessionmaker, Product, store.id) == 0


@pytest.mark.parametrize("field", ["price", "compare_price", "cost_price"])
async def test_rest_refuses_one_more_naming_the_limit(client, sessionmaker, shop, field):
    store, key = shop
    body = {"name": "Tapis", "price": 1500, field: MAX_MONEY + 1}

    response = await client.post("/v1/products", json=body, headers=writing(key.headers))

    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert (detail["field"], detail["code"]) == (field, "out_of_range")
    assert str(MAX_MONEY) in detail["message"]
    assert await count_rows(sessionmaker, Product, store.id) == 0


def test_the_money_scalar_refuses_one_more_naming_the_limit():
    assert parse_money(MAX_MONEY) == MAX_MONEY
    with pytest.raises(GraphQLError, match=f"between 0 and {MAX_MONEY}"):
        parse_money(MAX_MONEY + 1)


def test_the_openapi_document_states_the_limit_for_every_amount():
    amounts = []
    for schema in generated_document()["components"]["schemas"].values():
        for name, field in schema.get("properties", {}).items():
            if name in ("price", "compare_price", "cost_price") and "maximum" in str(field):
                amounts.append(str(field))
    assert amounts
    for field in amounts:
        assert f"'maximum': {MAX_MONEY}" in field

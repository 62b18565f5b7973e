"""``GET /v1/customers`` leaves its ``filter`` out of the operation's variables when it holds only defaults
(``Endpoint.absent_when_default``): the operation answers no filter exactly as a filter of its defaults, page after
page, and the variables then skip graphql-core's coercion."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Store
from rest_compat.openapi.document import compiled_table
from tests.support.factories import Key, create_customer, create_key, create_store

LIST = {row.endpoint.name: row for row in compiled_table()[1]}["ListCustomers"]
BASE = datetime(2026, 4, 30, 8, 0, 0)


@pytest.fixture
async def shop(session) -> tuple[Store, Key]:
    return await archived_shop(session)


async def archived_shop(session: AsyncSession) -> tuple[Store, Key]:
    """Three live customers and two archived ones, created a minute apart."""
    store = await create_store(session)
    key = await create_key(session, store)
    for number in range(5):
        customer = await create_customer(session, store, created_at=BASE + timedelta(minutes=number))
        if number % 2:
            customer.archived_at = BASE + timedelta(hours=1)
    await session.commit()
    return store, key


async def list_data(client: httpx.AsyncClient, key: Key, variables: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": LIST.document, "variables": variables}, headers=key.headers)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    assert "errors" not in payload, payload
    data: dict[str, Any] = payload["data"]
    return data


async def test_no_filter_lists_every_page_a_filter_of_only_defaults_lists(client, shop) -> None:
    _store, key = shop
    defaults = {"isArchived": False}
    after: str | None = None
    pages = 0
    while True:
        page_variables: dict[str, Any] = {"first": 2} if after is None else {"first": 2, "after": after}
        without = await list_data(client, key, page_variables)
        with_defaults = await list_data(client, key, {**page_variables, "filter": defaults})
        assert orjson.dumps(without) == orjson.dumps(with_defaults)
        pages += 1
        page_info = without["customers"]["pageInfo"]
        if not page_info["hasNextPage"]:
            break
        after = page_info["endCursor"]
    assert pages == 2  # the three live customers, two to a page


async def test_the_rest_list_answers_the_same_bytes_with_its_default_given_or_not(client, shop) -> None:
    _store, key = shop
    headers = {**key.headers, "X-Request-Id": "req_same"}
    implicit = await client.get("/v1/customers?limit=2", headers=headers)
    explicit = await client.get("/v1/customers?limit=2&is_archived=false", headers=headers)
    assert implicit.status_code == explicit.status_code == 200, implicit.text
    assert implicit.content == explicit.content
    assert len(implicit.json()["data"]["items"]) == 2


async def test_the_archived_customers_are_still_listed_when_asked_for(client, shop) -> None:
    _store, key = shop
    response = await client.get("/v1/customers?is_archived=true", headers=key.headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["items"]) == 2


def test_a_filter_of_only_its_defaults_is_left_out_of_the_variables() -> None:
    assert LIST.variables({}, {"limit": 50, "is_archived": False}, None) == {"first": 50}


@pytest.mark.parametrize(
    ("query", "expected_filter"),
    [
        ({"limit": 50, "is_archived": True}, {"isArchived": True}),
        ({"limit": 50, "is_archived": False, "q": "amine"}, {"isArchived": False, "search": "amine"}),
    ],
)
def test_a_filter_with_anything_else_is_kept_whole(query: dict[str, Any], expected_filter: dict[str, Any]) -> None:
    assert LIST.variables({}, query, None) == {"first": 50, "filter": expected_filter}

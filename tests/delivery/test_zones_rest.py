"""Delivery zones through /v1: GET/POST /v1/delivery-zones, PATCH/DELETE /v1/delivery-zones/{id}."""

from __future__ import annotations

from typing import Any

import pytest

from storegraph.platform.auth.scopes import Scope
from tests.support.factories import Key, create_key, create_store, create_zone
from tests.support.rest_calls import data_of, error_of, writing

CENTRE = {"name": "Centre", "wilaya_ids": [16, 9, 35], "home_fee": 600, "desk_fee": 400}


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return store, key


async def listed(client, key: Key) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = data_of(await client.get("/v1/delivery-zones", headers=key.headers))["items"]
    return items


async def test_post_answers_201_and_the_list_shows_the_zone(client, shop):
    _store, key = shop

    zone = data_of(await client.post("/v1/delivery-zones", json=CENTRE, headers=writing(key)), 201)

    assert set(zone) == {"id", "name", "wilaya_ids", "home_fee", "desk_fee", "created_at", "updated_at"}
    assert (zone["wilaya_ids"], zone["home_fee"], zone["desk_fee"]) == ([9, 16, 35], 600, 400)
    page = data_of(await client.get("/v1/delivery-zones", headers=key.headers))
    assert page == {"items": [zone], "next_cursor": None, "has_more": False}


async def test_a_taken_wilaya_is_409_conflict_on_wilaya_ids(client, shop):
    _store, key = shop
    data_of(await client.post("/v1/delivery-zones", json=CENTRE, headers=writing(key)), 201)

    response = await client.post(
        "/v1/delivery-zones", json={**CENTRE, "name": "Est", "wilaya_ids": [25, 9]}, headers=writing(key)
    )

    error = error_of(response, 409, "conflict")
    assert error["details"][0]["field"] == "wilaya_ids"
    assert [zone["name"] for zone in await listed(client, key)] == ["Centre"]


async def test_patch_replaces_the_wilayas_and_delete_removes_the_zone(client, shop):
    _store, key = shop
    zone = data_of(await client.post("/v1/delivery-zones", json=CENTRE, headers=writing(key)), 201)

    patched = data_of(
        await client.patch(f"/v1/delivery-zones/{zone['id']}", json={"wilaya_ids": [16, 2]}, headers=writing(key))
    )
    deleted = data_of(await client.delete(f"/v1/delivery-zones/{zone['id']}", headers=writing(key)))

    assert (patched["wilaya_ids"], patched["name"]) == ([2, 16], "Centre")
    assert deleted == {"id": zone["id"], "deleted": True}
    assert await listed(client, key) == []


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"wilaya_ids": []}, "wilaya_ids", "blank"),
        ({"wilaya_ids": [59]}, "wilaya_ids.0", "out_of_range"),
        ({"home_fee": -5}, "home_fee", "out_of_range"),
        ({"name": " "}, "name", "blank"),
    ],
)
async def test_bad_bodies_are_422_and_create_nothing(client, shop, body, field, code):
    _store, key = shop

    error = error_of(
        await client.post("/v1/delivery-zones", json={**CENTRE, **body}, headers=writing(key)), 422, "validation_error"
    )

    assert (error["details"][0]["field"], error["details"][0]["code"]) == (field, code)
    assert await listed(client, key) == []


async def test_another_stores_zone_is_not_found_and_never_listed(session, client, shop):
    _store, key = shop
    theirs = await create_zone(session, await create_store(session), [16], name="Theirs")
    await session.commit()

    patched = await client.patch(f"/v1/delivery-zones/{theirs.id}", json={"home_fee": 1}, headers=writing(key))
    deleted = await client.delete(f"/v1/delivery-zones/{theirs.id}", headers=writing(key))

    error_of(patched, 404, "not_found")
    error_of(deleted, 404, "not_found")
    assert await listed(client, key) == []


async def test_zones_need_store_scopes(session, client, shop):
    store, _key = shop
    key = await create_key(session, store, scopes=(Scope.CUSTOMERS_WRITE,))
    await session.commit()

    error_of(await client.get("/v1/delivery-zones", headers=key.headers), 403, "insufficient_scope")
    error_of(await client.post("/v1/delivery-zones", json=CENTRE, headers=writing(key)), 403, "insufficient_scope")

"""Delivery zones through GraphQL: deliveryZones (store:read), createDeliveryZone, updateDeliveryZone,
deleteDeliveryZone (store:write), the one-zone-per-wilaya rule, and checkout's fee from the zone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from db.models import DeliveryZone, Order, ZoneWilaya
from storegraph.platform.auth.scopes import Scope
from tests.support.factories import create_key, create_product, create_store, create_zone
from tests.support.mutation_helpers import assert_insufficient_scope, result_of, succeeded, user_errors

ZONE = "id name wilayaIds homeFee deskFee"
LIST = f"{{ deliveryZones {{ {ZONE} }} }}"
CREATE = f"""
mutation($input: CreateDeliveryZoneInput!) {{
  createDeliveryZone(input: $input) {{ deliveryZone {{ {ZONE} }} userErrors {{ field code message }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateDeliveryZoneInput!) {{
  updateDeliveryZone(input: $input) {{ deliveryZone {{ {ZONE} }} userErrors {{ field code message }} }}
}}
"""
DELETE = "mutation($id: ID!) { deleteDeliveryZone(id: $id) { deletedId userErrors { field code message } } }"
PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id subtotal deliveryFee total deliveryType } userErrors { field code } }
}
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return store, key


async def zones_of(sessionmaker, store_id: int) -> dict[str, list[int]]:
    """Each zone's name and wilayas, as committed."""
    async with sessionmaker() as session:
        stmt = (
            select(DeliveryZone.name, ZoneWilaya.wilaya_id)
            .outerjoin(ZoneWilaya, ZoneWilaya.zone_id == DeliveryZone.id)
            .where(DeliveryZone.store_id == store_id)
            .order_by(DeliveryZone.name, ZoneWilaya.wilaya_id)
        )
        zones: dict[str, list[int]] = {}
        for name, wilaya in (await session.execute(stmt)).all():
            zones.setdefault(name, []).extend([] if wilaya is None else [wilaya])
        return zones


def zone_input(**fields: Any) -> dict[str, Any]:
    return {"input": {"name": "Centre", "wilayaIds": [16, 9, 35], "homeFee": 600, "deskFee": 400, **fields}}


async def create(gql, key, **fields: Any) -> dict[str, Any]:
    return await gql.query(CREATE, zone_input(**fields), headers=key.headers)


# --- create ------------------------------------------------------------------------------------------------------


async def test_a_created_zone_lists_its_wilayas_ascending_once_with_its_fees(gql, shop):
    _store, key = shop

    payload = await create(gql, key, wilayaIds=[35, 16, 9, 16])

    zone = succeeded(payload, "createDeliveryZone")["deliveryZone"]
    assert (zone["name"], zone["wilayaIds"], zone["homeFee"], zone["deskFee"]) == ("Centre", [9, 16, 35], 600, 400)
    listed = await gql.query(LIST, headers=key.headers)
    assert listed["data"]["deliveryZones"] == [zone]


async def test_a_wilaya_of_another_zone_is_a_conflict_naming_it(gql, sessionmaker, shop):
    store, key = shop
    succeeded(await create(gql, key), "createDeliveryZone")

    payload = await create(gql, key, name="Est", wilayaIds=[25, 16])

    assert user_errors(payload, "createDeliveryZone") == [("wilayaIds", "conflict")]
    assert "16 ('Centre')" in result_of(payload, "createDeliveryZone")["userErrors"][0]["message"]
    assert await zones_of(sessionmaker, store.id) == {"Centre": [9, 16, 35]}


async def test_a_name_the_store_has_is_a_conflict(gql, sessionmaker, shop):
    store, key = shop
    succeeded(await create(gql, key), "createDeliveryZone")

    payload = await create(gql, key, wilayaIds=[31])

    assert user_errors(payload, "createDeliveryZone") == [("name", "conflict")]
    assert await zones_of(sessionmaker, store.id) == {"Centre": [9, 16, 35]}


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"wilayaIds": []}, "wilayaIds", "blank"),
        ({"wilayaIds": [16, 59]}, "wilayaIds[1]", "out_of_range"),
        ({"wilayaIds": [0]}, "wilayaIds[0]", "out_of_range"),
        ({"name": "  "}, "name", "blank"),
        ({"name": "x" * 101}, "name", "too_long"),
    ],
)
async def test_bad_zone_input_is_refused_and_writes_nothing(gql, sessionmaker, shop, fields, field, code):
    store, key = shop

    payload = await create(gql, key, **fields)

    assert user_errors(payload, "createDeliveryZone") == [(field, code)]
    assert await zones_of(sessionmaker, store.id) == {}


async def test_a_negative_fee_is_refused_by_its_type(gql, sessionmaker, shop):
    store, key = shop

    payload = await create(gql, key, homeFee=-1)

    assert payload["errors"][0]["extensions"]["code"] == "validation_error"
    assert await zones_of(sessionmaker, store.id) == {}


async def test_two_stores_may_each_have_a_zone_with_the_same_wilaya(session, gql, sessionmaker, shop):
    _store, key = shop
    other = await create_store(session)
    await create_zone(session, other, [16, 9], name="Centre")
    await session.commit()

    payload = await create(gql, key)

    succeeded(payload, "createDeliveryZone")
    assert await zones_of(sessionmaker, other.id) == {"Centre": [9, 16]}


async def test_creating_a_zone_needs_store_write(session, gql, sessionmaker, shop):
    store, _key = shop
    key = await create_key(session, store, scopes=(Scope.STORE_READ,))
    await session.commit()

    payload = await create(gql, key)

    assert_insufficient_scope(payload, "createDeliveryZone", "store:write")
    assert await zones_of(sessionmaker, store.id) == {}


# --- read --------------------------------------------------------------------------------------------------------


async def test_the_list_shows_only_the_stores_own_zones_oldest_first(session, gql, shop):
    store, key = shop
    west = await create_zone(session, store, [31, 13], name="Ouest")
    east = await create_zone(session, store, [25], name="Est")
    await create_zone(session, await create_store(session), [1], name="Theirs")
    await session.commit()

    payload = await gql.query(LIST, headers=key.headers)

    assert [(zone["id"], zone["wilayaIds"]) for zone in payload["data"]["deliveryZones"]] == [
        (str(west.id), [13, 31]),
        (str(east.id), [25]),
    ]


async def test_listing_zones_needs_store_read(session, gql, shop):
    store, _key = shop
    key = await create_key(session, store, scopes=(Scope.CUSTOMERS_READ,))
    await session.commit()

    payload = await gql.query(LIST, headers=key.headers)

    assert payload["data"] == {"deliveryZones": None}
    assert payload["errors"][0]["extensions"]["code"] == "insufficient_scope"


# --- update and delete -------------------------------------------------------------------------------------------


async def test_an_update_replaces_the_wilayas_and_frees_the_old_ones(gql, sessionmaker, shop):
    store, key = shop
    zone_id = succeeded(await create(gql, key), "createDeliveryZone")["deliveryZone"]["id"]

    updated = await gql.query(
        UPDATE, {"input": {"id": zone_id, "wilayaIds": [16], "deskFee": 350}}, headers=key.headers
    )
    taken = await create(gql, key, name="Nord", wilayaIds=[9, 35])

    zone = succeeded(updated, "updateDeliveryZone")["deliveryZone"]
    assert (zone["name"], zone["wilayaIds"], zone["homeFee"], zone["deskFee"]) == ("Centre", [16], 600, 350)
    succeeded(taken, "createDeliveryZone")
    assert await zones_of(sessionmaker, store.id) == {"Centre": [16], "Nord": [9, 35]}


async def test_an_update_may_keep_its_own_name_and_wilayas(gql, shop):
    _store, key = shop
    zone_id = succeeded(await create(gql, key), "createDeliveryZone")["deliveryZone"]["id"]

    payload = await gql.query(
        UPDATE, {"input": {"id": zone_id, "name": "Centre", "wilayaIds": [9, 16, 35, 42]}}, headers=key.headers
    )

    assert succeeded(payload, "updateDeliveryZone")["deliveryZone"]["wilayaIds"] == [9, 16, 35, 42]


async def test_an_update_taking_another_zones_wilaya_is_a_conflict(gql, sessionmaker, shop):
    store, key = shop
    succeeded(await create(gql, key), "createDeliveryZone")
    east = succeeded(await create(gql, key, name="Est", wilayaIds=[25]), "createDeliveryZone")["deliveryZone"]

    payload = await gql.query(UPDATE, {"input": {"id": east["id"], "wilayaIds": [25, 9]}}, headers=key.headers)

    assert user_errors(payload, "updateDeliveryZone") == [("wilayaIds", "conflict")]
    assert await zones_of(sessionmaker, store.id) == {"Centre": [9, 16, 35], "Est": [25]}


@pytest.mark.parametrize(("fields", "field"), [({"name": None}, "name"), ({"wilayaIds": None}, "wilayaIds")])
async def test_an_update_cannot_null_a_required_field(gql, sessionmaker, shop, fields, field):
    store, key = shop
    zone_id = succeeded(await create(gql, key), "createDeliveryZone")["deliveryZone"]["id"]

    payload = await gql.query(UPDATE, {"input": {"id": zone_id, **fields}}, headers=key.headers)

    assert user_errors(payload, "updateDeliveryZone") == [(field, "blank")]
    assert await zones_of(sessionmaker, store.id) == {"Centre": [9, 16, 35]}


async def test_a_deleted_zone_is_gone_and_its_wilayas_free(gql, sessionmaker, shop):
    store, key = shop
    zone_id = succeeded(await create(gql, key), "createDeliveryZone")["deliveryZone"]["id"]

    payload = await gql.query(DELETE, {"id": zone_id}, headers=key.headers)

    assert succeeded(payload, "deleteDeliveryZone")["deletedId"] == zone_id
    assert await zones_of(sessionmaker, store.id) == {}
    succeeded(await create(gql, key, name="Again"), "createDeliveryZone")


@pytest.mark.parametrize(
    ("document", "field", "variables"),
    [
        (UPDATE, "updateDeliveryZone", lambda zone: {"input": {"id": zone, "homeFee": 1}}),
        (DELETE, "deleteDeliveryZone", lambda zone: {"id": zone}),
    ],
)
async def test_another_stores_zone_is_not_found(session, gql, sessionmaker, shop, document, field, variables):
    _store, key = shop
    other = await create_store(session)
    theirs = await create_zone(session, other, [16], name="Theirs")
    await session.commit()

    payload = await gql.query(document, variables(str(theirs.id)), headers=key.headers)

    assert user_errors(payload, field) == [("id", "not_found")]
    assert await zones_of(sessionmaker, other.id) == {"Theirs": [16]}


# --- checkout ----------------------------------------------------------------------------------------------------


async def place(gql, key, product, wilaya_id: int, delivery_type: str = "HOME") -> dict[str, Any]:
    variables = {
        "input": {
            "lines": [{"productId": str(product.id), "quantity": 2}],
            "customer": {"firstName": "Amine", "phone": "0555 00 11 22", "wilayaId": wilaya_id},
            "deliveryType": delivery_type,
        }
    }
    order: dict[str, Any] = succeeded(await gql.query(PLACE, variables, headers=key.headers), "placeOrder")["order"]
    return order


@pytest.mark.parametrize(("delivery_type", "fee"), [("HOME", 650), ("DESK", 450)])
async def test_checkout_charges_the_zones_fee_by_delivery_type(session, gql, shop, delivery_type, fee):
    store, key = shop
    product = await create_product(session, store, price=1500)
    await create_zone(session, store, [16, 9], home_fee=650, desk_fee=450)
    await session.commit()

    order = await place(gql, key, product, 16, delivery_type)

    assert (order["subtotal"], order["deliveryFee"], order["total"]) == (3000, fee, 3000 + fee)


async def test_checkout_outside_every_zone_charges_the_stores_settings_fee(session, gql, shop):
    store, key = shop
    store.settings = {"delivery_fees": {"home": 800, "desk": 500}}
    product = await create_product(session, store, price=1500)
    await create_zone(session, store, [16], home_fee=650, desk_fee=450)
    await session.commit()

    order = await place(gql, key, product, 31)

    assert (order["deliveryFee"], order["total"]) == (800, 3800)


async def test_an_order_placed_before_its_zone_existed_keeps_its_fee(session, gql, sessionmaker, shop):
    store, key = shop
    product = await create_product(session, store, price=1500)
    await session.commit()
    before = await place(gql, key, product, 16)
    succeeded(await create(gql, key, wilayaIds=[16], homeFee=900), "createDeliveryZone")

    after = await place(gql, key, product, 16)

    async with sessionmaker() as fresh:
        kept = await fresh.get(Order, int(before["id"]))
    assert kept is not None
    assert (kept.delivery_fee, kept.total) == (before["deliveryFee"], before["total"]) == (0, 3000)
    assert (after["deliveryFee"], after["total"]) == (900, 3900)

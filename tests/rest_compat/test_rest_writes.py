"""Each /v1 write end to end: what it answers, what a read afterwards shows, and what it leaves alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from db.models import ApiKey, LandingPage, Order, Product, Store, WebhookSubscription
from storegraph.platform.auth.key_format import KeyEnv
from storegraph.platform.auth.scopes import Scope
from tests.support.factories import (
    Key,
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_store,
    create_webhook_subscription,
)
from tests.support.mutation_helpers import count_rows, snapshot
from tests.support.rest_calls import data_of, error_of, writing

SEED_PRODUCT = {
    "name": "Cotton T-Shirt",
    "price": 1500,
    "description": "100% cotton, made in Algeria",
    "sku": "TS-COT-001",
    "stock_quantity": 50,
    "track_stock": True,
    "status": "active",
}


@dataclass
class Shop:
    store: Store
    key: Key


@pytest.fixture
async def shop(session) -> Shop:
    store = await create_store(session, name="Alpha Boutique")
    key = await create_key(session, store)
    await session.commit()
    return Shop(store, key)


async def create(client, shop: Shop, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/v1/products", json=body or SEED_PRODUCT, headers=writing(shop.key))
    created: dict[str, Any] = data_of(response, 201)
    return created


# --- POST /v1/products -------------------------------------------------------------------------------------------


async def test_create_product_answers_201_with_the_product_as_given(client, shop):
    product = await create(client, shop)

    assert isinstance(product["id"], int)
    assert product["name"] == "Cotton T-Shirt"
    assert product["description"] == "100% cotton, made in Algeria"
    assert product["pricing"] == {"price": 1500, "compare_price": None, "cost_price": None}
    assert product["inventory"] == {
        "sku": "TS-COT-001",
        "track_stock": True,
        "stock_quantity": 50,
        "low_stock_alert": 5,
    }
    assert product["status"] == "active"


async def test_create_product_takes_the_optional_prices_and_stock_alert(client, shop):
    product = await create(
        client,
        shop,
        {"name": "Linen Shirt", "price": 2500, "compare_price": 3000, "cost_price": 1200, "low_stock_alert": 2},
    )

    assert product["pricing"] == {"price": 2500, "compare_price": 3000, "cost_price": 1200}
    assert product["inventory"]["low_stock_alert"] == 2


async def test_a_created_product_reads_back_the_same(client, shop):
    product = await create(client, shop)

    response = await client.get(f"/v1/products/{product['id']}", headers=shop.key.headers)

    assert data_of(response) == product


async def test_create_product_derives_the_slug_from_the_name(client, shop):
    product = await create(client, shop, {"name": "Robe Kabyle Été 2026", "price": 9000})

    assert product["slug"] == "robe-kabyle-ete-2026"


async def test_two_products_of_one_name_get_different_slugs(client, shop):
    first = await create(client, shop, {"name": "Cotton T-Shirt", "price": 1500})
    second = await create(client, shop, {"name": "Cotton T-Shirt", "price": 1600})

    assert first["slug"] == "cotton-t-shirt"
    assert second["slug"] != first["slug"]
    assert second["slug"].startswith("cotton-t-shirt")


async def test_the_same_slug_is_free_in_another_store(client, session, shop):
    other = Shop(store := await create_store(session), await create_key(session, store))
    await session.commit()

    await create(client, shop)
    product = await create(client, other)

    assert product["slug"] == "cotton-t-shirt"


# --- PATCH /v1/products/{id} -------------------------------------------------------------------------------------


async def test_update_product_changes_only_the_fields_given(client, shop):
    product = await create(client, shop)

    response = await client.patch(f"/v1/products/{product['id']}", json={"price": 1800}, headers=writing(shop.key))

    updated = data_of(response)
    assert updated["pricing"]["price"] == 1800
    unchanged = ("id", "name", "slug", "description", "inventory", "status", "created_at")
    assert {name: updated[name] for name in unchanged} == {name: product[name] for name in unchanged}
    assert {name: updated["pricing"][name] for name in ("compare_price", "cost_price")} == {
        "compare_price": None,
        "cost_price": None,
    }


async def test_update_product_can_change_several_flat_fields_at_once(client, shop):
    product = await create(client, shop)

    response = await client.patch(
        f"/v1/products/{product['id']}",
        json={"stock_quantity": 7, "track_stock": False, "status": "archived", "compare_price": 2000},
        headers=writing(shop.key),
    )

    updated = data_of(response)
    assert (updated["inventory"]["stock_quantity"], updated["inventory"]["track_stock"]) == (7, False)
    assert updated["status"] == "archived"
    assert updated["pricing"]["compare_price"] == 2000


async def test_update_product_with_null_description_clears_it(client, shop):
    product = await create(client, shop)

    response = await client.patch(
        f"/v1/products/{product['id']}", json={"description": None}, headers=writing(shop.key)
    )

    assert data_of(response)["description"] is None
    read = await client.get(f"/v1/products/{product['id']}", headers=shop.key.headers)
    assert data_of(read)["description"] is None
    assert data_of(read)["name"] == "Cotton T-Shirt"


async def test_update_product_with_an_empty_body_changes_nothing(client, sessionmaker, shop):
    product = await create(client, shop)
    before = await snapshot(sessionmaker, Product, product["id"])

    response = await client.patch(f"/v1/products/{product['id']}", json={}, headers=writing(shop.key))

    answered = data_of(response)
    assert {k: v for k, v in answered.items() if k != "updated_at"} == {
        k: v for k, v in product.items() if k != "updated_at"
    }
    after = await snapshot(sessionmaker, Product, product["id"])
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


async def test_an_update_is_persisted(client, sessionmaker, shop):
    product = await create(client, shop)

    await client.patch(f"/v1/products/{product['id']}", json={"name": "Cotton Tee"}, headers=writing(shop.key))

    row = await snapshot(sessionmaker, Product, product["id"])
    assert row["name"] == "Cotton Tee"
    assert row["price"] == 1500


# --- DELETE /v1/products/{id} ------------------------------------------------------------------------------------


async def test_delete_product_answers_its_id_and_deleted_true(client, shop):
    product = await create(client, shop)

    response = await client.delete(f"/v1/products/{product['id']}", headers=writing(shop.key))

    assert data_of(response) == {"id": product["id"], "deleted": True}


async def test_a_deleted_product_is_not_found_and_not_listed(client, shop):
    product = await create(client, shop)
    kept = await create(client, shop, {"name": "Linen Shirt", "price": 2500})

    await client.delete(f"/v1/products/{product['id']}", headers=writing(shop.key))

    error_of(await client.get(f"/v1/products/{product['id']}", headers=shop.key.headers), 404, "not_found")
    listed = data_of(await client.get("/v1/products", headers=shop.key.headers))
    assert [item["id"] for item in listed["items"]] == [kept["id"]]


async def test_deleting_a_deleted_product_again_is_not_found(client, shop):
    product = await create(client, shop)
    await client.delete(f"/v1/products/{product['id']}", headers=writing(shop.key))

    response = await client.delete(f"/v1/products/{product['id']}", headers=writing(shop.key))

    error_of(response, 404, "not_found")


async def test_an_order_keeps_its_copy_of_a_deleted_product(client, session, shop):
    product = await create_product(session, shop.store, name="Wool Scarf")
    order = await create_order(session, shop.store, await create_customer(session, shop.store), [(product, 2)])
    await session.commit()

    await client.delete(f"/v1/products/{product.id}", headers=writing(shop.key))

    [item] = data_of(await client.get(f"/v1/orders/{order.id}", headers=shop.key.headers))["items"]
    assert (item["product_id"], item["product_name"], item["quantity"]) == (None, "Wool Scarf", 2)


# --- PATCH /v1/orders/{id} ---------------------------------------------------------------------------------------


@pytest.fixture
async def order(session, shop) -> Order:
    product = await create_product(session, shop.store, price=1500)
    made = await create_order(session, shop.store, await create_customer(session, shop.store), [(product, 2)])
    await session.commit()
    return made


async def patch_order(client, shop: Shop, order_id: int, body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = await client.patch(f"/v1/orders/{order_id}", json=body, headers=writing(shop.key))
    return response


async def test_update_order_status_answers_the_full_order_with_the_new_status(client, shop, order):
    response = await patch_order(client, shop, order.id, {"status": "confirmed"})

    updated = data_of(response)
    assert (updated["id"], updated["status"], updated["payment_status"]) == (order.id, "confirmed", "pending")
    assert {"items", "customer", "delivery", "totals", "status_history"} <= set(updated)


async def test_an_order_goes_through_its_whole_status_machine(client, shop, order):
    for status in ("confirmed", "shipped", "delivered"):
        assert data_of(await patch_order(client, shop, order.id, {"status": status}))["status"] == status

    history = data_of(await client.get(f"/v1/orders/{order.id}", headers=shop.key.headers))["status_history"]
    assert [(change["from"], change["to"]) for change in history] == [
        (None, "pending"),
        ("pending", "confirmed"),
        ("confirmed", "shipped"),
        ("shipped", "delivered"),
    ]


async def test_an_order_change_with_a_note_is_in_the_status_history(client, shop, order):
    await patch_order(client, shop, order.id, {"status": "cancelled", "note": "customer unreachable"})

    history = data_of(await client.get(f"/v1/orders/{order.id}", headers=shop.key.headers))["status_history"]
    assert history[-1]["field"] == "status"
    assert (history[-1]["from"], history[-1]["to"], history[-1]["note"]) == (
        "pending",
        "cancelled",
        "customer unreachable",
    )


async def test_update_payment_status_is_recorded_as_a_payment_status_change(client, shop, order):
    response = await patch_order(client, shop, order.id, {"payment_status": "paid"})

    assert data_of(response)["payment_status"] == "paid"
    assert data_of(response)["status"] == "pending"
    history = data_of(await client.get(f"/v1/orders/{order.id}", headers=shop.key.headers))["status_history"]
    assert [(change["field"], change["from"], change["to"]) for change in history[1:]] == [
        ("payment_status", "pending", "paid")
    ]


async def test_status_and_payment_status_change_in_one_request(client, shop, order):
    response = await patch_order(client, shop, order.id, {"status": "confirmed", "payment_status": "paid"})

    updated = data_of(response)
    assert (updated["status"], updated["payment_status"]) == ("confirmed", "paid")
    assert {(change["field"], change["to"]) for change in updated["status_history"][1:]} == {
        ("status", "confirmed"),
        ("payment_status", "paid"),
    }


async def test_a_status_history_entry_has_a_rest_timestamp(client, shop, order):
    response = await patch_order(client, shop, order.id, {"status": "confirmed"})

    for change in data_of(response)["status_history"]:
        assert set(change) == {"field", "from", "to", "note", "created_at"}
        assert len(change["created_at"]) == 19
        assert change["created_at"][10] == " "


PLACE_ORDER = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { code } } }"


async def test_a_cancelled_order_no_longer_counts_for_the_customer(client, session, shop):
    customer = await create_customer(session, shop.store)
    product = await create_product(session, shop.store)
    await session.commit()
    placed = await client.post(
        "/graphql",
        json={
            "query": PLACE_ORDER,
            "variables": {
                "input": {
                    "customer": {"phone": customer.phone, "firstName": "Amine", "wilayaId": 16},
                    "lines": [{"productId": str(product.id), "quantity": 1}],
                }
            },
        },
        headers=writing(shop.key),
    )
    order_id = int(placed.json()["data"]["placeOrder"]["order"]["id"])
    before = data_of(await client.get(f"/v1/customers/{customer.id}", headers=shop.key.headers))

    await patch_order(client, shop, order_id, {"status": "cancelled"})

    after = data_of(await client.get(f"/v1/customers/{customer.id}", headers=shop.key.headers))
    assert before["total_orders"] == 1
    assert (after["total_orders"], after["total_spent"]) == (0, 0)


# --- PATCH /v1/store ---------------------------------------------------------------------------------------------


async def test_update_store_renames_it(client, shop):
    response = await client.patch("/v1/store", json={"name": "Beta Shop"}, headers=writing(shop.key))

    assert data_of(response)["name"] == "Beta Shop"
    assert data_of(await client.get("/v1/whoami", headers=shop.key.headers))["store_name"] == "Beta Shop"


async def test_update_store_merges_settings_into_the_existing_ones(client, shop):
    await client.patch("/v1/store", json={"settings": {"theme": "dark", "cod": True}}, headers=writing(shop.key))

    response = await client.patch("/v1/store", json={"settings": {"theme": "light"}}, headers=writing(shop.key))

    assert data_of(response)["settings"] == {"theme": "light", "cod": True}
    assert data_of(await client.get("/v1/store", headers=shop.key.headers))["settings"] == {
        "theme": "light",
        "cod": True,
    }


async def test_update_store_merges_metadata_and_leaves_settings_alone(client, shop):
    await client.patch("/v1/store", json={"settings": {"theme": "dark"}}, headers=writing(shop.key))
    await client.patch("/v1/store", json={"metadata": {"erp_id": "A-17"}}, headers=writing(shop.key))

    response = await client.patch("/v1/store", json={"metadata": {"region": "16"}}, headers=writing(shop.key))

    store = data_of(response)
    assert store["metadata"] == {"erp_id": "A-17", "region": "16"}
    assert store["settings"] == {"theme": "dark"}


async def test_update_store_with_a_null_setting_deletes_that_key(client, shop):
    await client.patch("/v1/store", json={"settings": {"theme": "dark", "cod": True}}, headers=writing(shop.key))

    response = await client.patch("/v1/store", json={"settings": {"theme": None}}, headers=writing(shop.key))

    assert data_of(response)["settings"] == {"cod": True}


async def test_update_store_with_settings_that_are_not_an_object_is_a_validation_error(client, shop):
    response = await client.patch("/v1/store", json={"settings": ["dark"]}, headers=writing(shop.key))

    assert error_of(response, 422, "validation_error")["details"][0]["field"] == "settings"


# --- POST /v1/landing-pages --------------------------------------------------------------------------------------


async def test_create_landing_page_answers_201_with_a_slug_from_the_title(client, session, shop):
    product = await create_product(session, shop.store)
    await session.commit()

    response = await client.post(
        "/v1/landing-pages",
        json={"title": "Soldes d'Été!", "product_id": product.id, "content": "<h1>-50%</h1>", "status": "published"},
        headers=writing(shop.key),
    )

    page = data_of(response, 201)
    assert page["slug"] == "soldes-d-ete"
    assert (page["title"], page["product_id"], page["content"], page["status"]) == (
        "Soldes d'Été!",
        product.id,
        "<h1>-50%</h1>",
        "published",
    )


async def test_a_created_landing_page_reads_back_the_same(client, shop):
    created = data_of(await client.post("/v1/landing-pages", json={"title": "Ramadan"}, headers=writing(shop.key)), 201)

    read = await client.get(f"/v1/landing-pages/{created['id']}", headers=shop.key.headers)

    assert data_of(read) == created
    assert created["status"] == "draft"


async def test_create_landing_page_takes_the_slug_given(client, shop):
    response = await client.post(
        "/v1/landing-pages", json={"title": "Ramadan", "slug": "ramadan-2026"}, headers=writing(shop.key)
    )

    assert data_of(response, 201)["slug"] == "ramadan-2026"


async def test_a_taken_slug_is_conflict_and_creates_nothing(client, session, sessionmaker, shop):
    page = await create_landing_page(session, shop.store)
    await session.commit()
    before = await count_rows(sessionmaker, LandingPage, shop.store.id)

    response = await client.post(
        "/v1/landing-pages", json={"title": "Other", "slug": page.slug}, headers=writing(shop.key)
    )

    error = error_of(response, 409, "conflict")
    assert error["details"][0]["field"] == "slug"
    assert await count_rows(sessionmaker, LandingPage, shop.store.id) == before


async def test_a_derived_slug_avoids_a_taken_one(client, shop):
    first = data_of(await client.post("/v1/landing-pages", json={"title": "Ramadan"}, headers=writing(shop.key)), 201)
    second = data_of(await client.post("/v1/landing-pages", json={"title": "Ramadan"}, headers=writing(shop.key)), 201)

    assert first["slug"] == "ramadan"
    assert second["slug"] != "ramadan"


async def test_a_landing_page_for_another_stores_product_is_not_found(client, session, sessionmaker, shop):
    foreign = await create_product(session, await create_store(session))
    await session.commit()

    response = await client.post(
        "/v1/landing-pages", json={"title": "Ramadan", "product_id": foreign.id}, headers=writing(shop.key)
    )

    error = error_of(response, 404, "not_found")
    assert error["details"][0]["field"] == "product_id"
    assert await count_rows(sessionmaker, LandingPage, shop.store.id) == 0


# --- POST /v1/keys and DELETE /v1/keys/{id} ----------------------------------------------------------------------


async def create_api_key(client, key: Key, body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = await client.post("/v1/keys", json=body, headers=writing(key))
    return response


async def test_create_key_answers_201_with_the_secret(client, shop):
    response = await create_api_key(client, shop.key, {"scopes": ["products:read", "orders:read"], "name": "ERP"})

    created = data_of(response, 201)
    assert created["secret"].startswith(f"dzpk_live_{created['key_id']}.")
    assert (created["type"], created["env"], created["name"]) == ("platform", "live", "ERP")
    assert created["scopes"] == ["products:read", "orders:read"]
    assert created["revoked_at"] is None


async def test_a_new_key_works_on_whoami_with_its_scopes(client, shop):
    created = data_of(await create_api_key(client, shop.key, {"scopes": ["products:read"]}), 201)

    response = await client.get("/v1/whoami", headers={"Authorization": f"Bearer {created['secret']}"})

    whoami = data_of(response)
    assert (whoami["key_id"], whoami["store_id"], whoami["scopes"]) == (
        created["key_id"],
        shop.store.id,
        ["products:read"],
    )


async def test_a_new_key_is_held_to_its_scopes(client, shop):
    created = data_of(await create_api_key(client, shop.key, {"scopes": ["products:read"]}), 201)

    response = await client.get("/v1/orders", headers={"Authorization": f"Bearer {created['secret']}"})

    error_of(response, 403, "insufficient_scope")


async def test_the_secret_is_shown_once_and_never_listed(client, shop):
    created = data_of(await create_api_key(client, shop.key, {"scopes": ["products:read"]}), 201)
    secret_part = created["secret"].split(".", 1)[1]

    listed = await client.get("/v1/keys", headers=shop.key.headers)

    assert listed.status_code == 200
    assert secret_part not in listed.text
    assert all("secret" not in item for item in data_of(listed)["items"])
    [item] = [item for item in data_of(listed)["items"] if item["id"] == created["id"]]
    assert item["prefix"] == f"dzpk_live_{created['key_id']}"


async def test_a_test_key_can_be_created(client, session, shop):
    test_key = await create_key(session, shop.store, env=KeyEnv.TEST)
    await session.commit()

    response = await create_api_key(client, test_key, {"scopes": ["products:read"], "env": "test"})

    created = data_of(response, 201)
    assert created["env"] == "test"
    assert created["secret"].startswith("dzpk_test_")


async def test_a_key_cannot_grant_a_scope_it_lacks(client, session, sessionmaker, shop):
    granter = await create_key(session, shop.store, scopes=(Scope.KEYS_WRITE, Scope.KEYS_READ, Scope.PRODUCTS_READ))
    await session.commit()
    before = await count_rows(sessionmaker, ApiKey, shop.store.id)

    response = await create_api_key(client, granter, {"scopes": ["products:read", "customers:read"]})

    error = error_of(response, 403, "insufficient_scope")
    assert "'customers:read'" in error["message"]
    assert await count_rows(sessionmaker, ApiKey, shop.store.id) == before


async def test_an_unknown_scope_is_a_validation_error(client, shop):
    response = await create_api_key(client, shop.key, {"scopes": ["products:read", "products:admin"]})

    [detail] = error_of(response, 422, "validation_error")["details"]
    assert (detail["field"], detail["code"]) == ("scopes.1", "invalid_choice")


async def test_revoke_key_answers_the_key_with_revoked_at(client, session, shop):
    doomed = await create_key(session, shop.store)
    await session.commit()

    response = await client.delete(f"/v1/keys/{doomed.id}", headers=writing(shop.key))

    revoked = data_of(response)
    assert (revoked["id"], revoked["key_id"]) == (doomed.id, doomed.key_id)
    assert revoked["revoked_at"] is not None
    assert "secret" not in revoked


async def test_a_revoked_key_is_unauthorized_at_once(client, session, shop):
    doomed = await create_key(session, shop.store)
    await session.commit()
    assert (await client.get("/v1/whoami", headers=doomed.headers)).status_code == 200

    await client.delete(f"/v1/keys/{doomed.id}", headers=writing(shop.key))

    error_of(await client.get("/v1/whoami", headers=doomed.headers), 401, "unauthorized")


async def test_a_revoked_key_is_still_listed_as_revoked(client, session, shop):
    doomed = await create_key(session, shop.store)
    await session.commit()
    await client.delete(f"/v1/keys/{doomed.id}", headers=writing(shop.key))

    listed = data_of(await client.get("/v1/keys", headers=shop.key.headers))["items"]

    [item] = [item for item in listed if item["id"] == doomed.id]
    assert item["revoked_at"] is not None


async def test_a_key_created_over_rest_can_be_revoked_over_rest(client, shop):
    created = data_of(await create_api_key(client, shop.key, {"scopes": ["products:read"]}), 201)

    await client.delete(f"/v1/keys/{created['id']}", headers=writing(shop.key))

    response = await client.get("/v1/whoami", headers={"Authorization": f"Bearer {created['secret']}"})
    error_of(response, 401, "unauthorized")


# --- POST /v1/webhooks and DELETE /v1/webhooks/{id} --------------------------------------------------------------

WEBHOOK = {"url": "https://erp.example.com/hooks/dz", "events": ["order.created", "order.shipped"]}


async def test_create_webhook_answers_201_with_the_signing_secret(client, shop):
    response = await client.post("/v1/webhooks", json=WEBHOOK, headers=writing(shop.key))

    created = data_of(response, 201)
    assert (created["url"], created["events"], created["is_active"]) == (WEBHOOK["url"], WEBHOOK["events"], True)
    assert isinstance(created["secret"], str)
    assert len(created["secret"]) >= 32


async def test_the_signing_secret_is_never_listed(client, shop):
    created = data_of(await client.post("/v1/webhooks", json=WEBHOOK, headers=writing(shop.key)), 201)

    listed = await client.get("/v1/webhooks", headers=shop.key.headers)

    assert created["secret"] not in listed.text
    items = data_of(listed)["items"]
    assert [item["id"] for item in items] == [created["id"]]
    assert all("secret" not in item for item in items)


async def test_a_webhook_for_an_unknown_event_is_a_validation_error(client, sessionmaker, shop):
    response = await client.post(
        "/v1/webhooks", json={**WEBHOOK, "events": ["order.teleported"]}, headers=writing(shop.key)
    )

    [detail] = error_of(response, 422, "validation_error")["details"]
    assert (detail["field"], detail["code"]) == ("events.0", "invalid_choice")
    assert await count_rows(sessionmaker, WebhookSubscription, shop.store.id) == 0


async def test_a_webhook_to_a_url_that_is_not_http_is_a_validation_error(client, shop):
    response = await client.post(
        "/v1/webhooks", json={**WEBHOOK, "url": "ftp://erp.example.com"}, headers=writing(shop.key)
    )

    assert error_of(response, 422, "validation_error")["details"][0]["field"] == "url"


async def test_delete_webhook_answers_its_id_and_deleted_true_and_it_is_gone(client, session, shop):
    subscription = await create_webhook_subscription(session, shop.store)
    await session.commit()

    response = await client.delete(f"/v1/webhooks/{subscription.id}", headers=writing(shop.key))

    assert data_of(response) == {"id": subscription.id, "deleted": True}
    assert data_of(await client.get("/v1/webhooks", headers=shop.key.headers))["items"] == []


async def test_deleting_a_deleted_webhook_again_is_not_found(client, session, shop):
    subscription = await create_webhook_subscription(session, shop.store)
    await session.commit()
    await client.delete(f"/v1/webhooks/{subscription.id}", headers=writing(shop.key))

    response = await client.delete(f"/v1/webhooks/{subscription.id}", headers=writing(shop.key))

    error_of(response, 404, "not_found")

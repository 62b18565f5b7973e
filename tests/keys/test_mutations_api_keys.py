"""apiKeys, createApiKey and revokeApiKey: platform keys of the caller's store, never more scopes than the caller's,
secrets shown once, and a revoked key refused at once."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from graphql import GraphQLObjectType

from db.models import ApiKey
from schema.core.build import build_schema
from storegraph.platform.auth.key_format import KeyEnv, hash_secret
from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from tests.conftest import services_of
from tests.support.factories import create_key, create_store
from tests.support.idempotency_support import kept_bytes, redis_app
from tests.support.mutation_helpers import (
    assert_insufficient_scope,
    count_rows,
    result_of,
    snapshot,
    succeeded,
    user_errors,
)
from tests.support.tracking_support import create_public_key

KEY_FIELDS = "id keyId prefix type env name scopes createdAt lastUsedAt revokedAt"
CREATE = f"""
mutation($input: CreateApiKeyInput!) {{
  createApiKey(input: $input) {{ apiKey {{ {KEY_FIELDS} }} secret userErrors {{ field code message }} }}
}}
"""
REVOKE = f"""
mutation($id: ID!) {{ revokeApiKey(id: $id) {{ apiKey {{ {KEY_FIELDS} }} userErrors {{ field code message }} }} }}
"""
LIST = f"""
query($first: Int!, $after: String) {{
  apiKeys(first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ {KEY_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
VIEWER = "{ viewer { keyId scopes } }"


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return store, key


def _all_but(scope: Scope) -> tuple[Scope, ...]:
    return tuple(s for s in ALL_SCOPES if s is not scope)


# --- apiKeys ----------------------------------------------------------------------------------------------------


async def test_api_keys_lists_the_stores_keys_newest_first_in_pages_without_secrets(session, gql, shop):
    store, key = shop
    older = await create_key(session, store, scopes=(Scope.ORDERS_READ,), env=KeyEnv.TEST)
    newest = await create_key(session, store, scopes=(Scope.PRODUCTS_READ,))
    await create_key(session, await create_store(session))  # another store's key is never listed
    for offset, row_pk in enumerate((key.id, older.id, newest.id)):
        row = await session.get(ApiKey, row_pk)
        row.created_at = datetime(2026, 1, 1) + timedelta(minutes=offset)
    await session.commit()

    first = await gql.query(LIST, {"first": 2}, headers=key.headers)
    page = first["data"]["apiKeys"]
    second = await gql.query(LIST, {"first": 2, "after": page["pageInfo"]["endCursor"]}, headers=key.headers)

    assert "errors" not in first
    assert "errors" not in second
    assert page["totalCount"] == 3
    nodes = [edge["node"] for edge in page["edges"]] + [edge["node"] for edge in second["data"]["apiKeys"]["edges"]]
    assert [node["id"] for node in nodes] == [str(newest.id), str(older.id), str(key.id)]
    assert page["pageInfo"]["hasNextPage"] is True
    assert second["data"]["apiKeys"]["pageInfo"]["hasNextPage"] is False
    test_key = nodes[1]
    assert test_key["prefix"] == f"dzpk_test_{older.key_id}"
    assert (test_key["type"], test_key["env"], test_key["scopes"]) == ("PLATFORM", "TEST", ["orders:read"])
    for node in nodes:
        assert key.token.partition(".")[2] not in str(node)
        assert "." not in node["prefix"]


def test_api_key_type_has_no_secret_field():
    api_key_type = build_schema()._schema.type_map["ApiKey"]

    assert isinstance(api_key_type, GraphQLObjectType)
    assert not any("secret" in name.lower() or "hash" in name.lower() for name in api_key_type.fields)


# --- createApiKey -----------------------------------------------------------------------------------------------


async def test_create_returns_the_secret_once_and_the_new_key_works(gql, sessionmaker, shop):
    store, key = shop

    payload = await gql.query(
        CREATE,
        {"input": {"scopes": ["orders:read", "products:read", "orders:read"], "name": " Zapier ", "env": "TEST"}},
        headers=key.headers,
    )

    created = succeeded(payload, "createApiKey")
    api_key, secret = created["apiKey"], created["secret"]
    assert re.fullmatch(rf"dzpk_test_{api_key['keyId']}\.[A-Za-z0-9_-]{{43}}", secret)
    assert api_key["prefix"] == f"dzpk_test_{api_key['keyId']}"
    assert (api_key["type"], api_key["env"], api_key["name"]) == ("PLATFORM", "TEST", "Zapier")
    assert api_key["scopes"] == ["orders:read", "products:read"]
    assert api_key["revokedAt"] is None
    row = await snapshot(sessionmaker, ApiKey, int(api_key["id"]))
    assert (row["store_id"], row["type"], row["env"]) == (store.id, "platform", "test")
    assert row["secret_hash"] == hash_secret(secret.partition(".")[2])
    viewer = await gql.query(VIEWER, headers={"Authorization": f"Bearer {secret}"})
    assert viewer["data"]["viewer"] == {"keyId": api_key["keyId"], "scopes": ["orders:read", "products:read"]}


async def test_env_defaults_to_the_callers_env(session, gql, shop):
    store, _key = shop
    test_key = await create_key(session, store, env=KeyEnv.TEST)
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"scopes": ["store:read"]}}, headers=test_key.headers)

    assert succeeded(payload, "createApiKey")["apiKey"]["env"] == "TEST"


async def test_a_test_key_cannot_create_a_live_key(session, gql, sessionmaker, shop):
    store, _key = shop
    test_key = await create_key(session, store, env=KeyEnv.TEST)
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"scopes": ["store:read"], "env": "LIVE"}}, headers=test_key.headers)

    assert user_errors(payload, "createApiKey") == [("env", "forbidden")]
    assert await count_rows(sessionmaker, ApiKey, store.id) == 2


async def test_a_live_key_can_create_a_test_key(gql, shop):
    _store, key = shop

    payload = await gql.query(CREATE, {"input": {"scopes": ["store:read"], "env": "TEST"}}, headers=key.headers)

    assert succeeded(payload, "createApiKey")["apiKey"]["env"] == "TEST"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"scopes": []}, "scopes", "blank"),
        ({"scopes": ["orders:read", "orders:delete"]}, "scopes", "unknown_scope"),
        ({"scopes": ["admin"]}, "scopes", "unknown_scope"),
        ({"name": "n" * 101}, "name", "too_long"),
    ],
)
async def test_create_refuses_invalid_input(gql, sessionmaker, shop, changes, field, code):
    store, key = shop

    payload = await gql.query(CREATE, {"input": {"scopes": ["store:read"], **changes}}, headers=key.headers)

    assert user_errors(payload, "createApiKey") == [(field, code)]
    assert payload["data"]["createApiKey"]["secret"] is None
    assert await count_rows(sessionmaker, ApiKey, store.id) == 1


async def test_a_key_cannot_grant_a_scope_it_does_not_hold(session, gql, sessionmaker, shop):
    store, _key = shop
    limited = await create_key(session, store, scopes=(Scope.KEYS_WRITE, Scope.ORDERS_READ))
    await session.commit()

    payload = await gql.query(
        CREATE, {"input": {"scopes": ["orders:read", "customers:write"]}}, headers=limited.headers
    )

    [error] = payload["data"]["createApiKey"]["userErrors"]
    assert (error["field"], error["code"]) == ("scopes", "insufficient_scope")
    assert "customers:write" in error["message"]
    assert payload["data"]["createApiKey"]["secret"] is None
    assert await count_rows(sessionmaker, ApiKey, store.id) == 2


async def test_a_key_can_grant_the_scopes_it_holds(session, gql, shop):
    store, _key = shop
    limited = await create_key(session, store, scopes=(Scope.KEYS_WRITE, Scope.KEYS_READ, Scope.ORDERS_READ))
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"scopes": ["orders:read", "keys:write"]}}, headers=limited.headers)

    created = succeeded(payload, "createApiKey")
    assert created["apiKey"]["scopes"] == ["orders:read", "keys:write"]
    assert created["secret"].startswith("dzpk_live_")


async def test_a_secret_in_the_response_always_belongs_to_a_stored_key(session, gql, shop):
    store, _key = shop
    write_only = await create_key(session, store, scopes=(Scope.KEYS_WRITE, Scope.ORDERS_READ))
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"scopes": ["orders:read"]}}, headers=write_only.headers)

    secret = payload["data"]["createApiKey"]["secret"]
    assert secret is not None
    assert (await gql.query(VIEWER, headers={"Authorization": f"Bearer {secret}"}))["_status"] == 200


async def test_create_without_keys_write_is_refused(session, gql, sessionmaker, shop):
    store, _key = shop
    key = await create_key(session, store, scopes=_all_but(Scope.KEYS_WRITE))
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"scopes": ["store:read"]}}, headers=key.headers)

    assert_insufficient_scope(payload, "createApiKey", "keys:write")
    assert await count_rows(sessionmaker, ApiKey, store.id) == 2


# --- revokeApiKey -----------------------------------------------------------------------------------------------


async def test_revoked_key_is_refused_at_once(session, gql, client, sessionmaker, shop):
    store, key = shop
    victim = await create_key(session, store)
    await session.commit()
    assert (await gql.query(VIEWER, headers=victim.headers))["_status"] == 200

    payload = await gql.query(REVOKE, {"id": str(victim.id)}, headers=key.headers)

    revoked = succeeded(payload, "revokeApiKey")["apiKey"]
    assert revoked["id"] == str(victim.id)
    assert revoked["revokedAt"] is not None
    assert (await snapshot(sessionmaker, ApiKey, victim.id))["revoked_at"] is not None
    response = await client.post("/graphql", json={"query": VIEWER}, headers=victim.headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "unauthorized"
    assert (await gql.query(VIEWER, headers=key.headers))["_status"] == 200


async def test_revoking_twice_keeps_the_first_time(session, gql, sessionmaker, shop):
    store, key = shop
    victim = await create_key(session, store)
    await session.commit()
    succeeded(await gql.query(REVOKE, {"id": str(victim.id)}, headers=key.headers), "revokeApiKey")
    first = await snapshot(sessionmaker, ApiKey, victim.id)

    payload = await gql.query(REVOKE, {"id": str(victim.id)}, headers=key.headers)

    assert succeeded(payload, "revokeApiKey")["apiKey"]["revokedAt"] is not None
    assert await snapshot(sessionmaker, ApiKey, victim.id) == first


async def test_a_key_can_revoke_itself(gql, client, shop):
    _store, key = shop

    succeeded(await gql.query(REVOKE, {"id": str(key.id)}, headers=key.headers), "revokeApiKey")

    assert (await client.post("/graphql", json={"query": VIEWER}, headers=key.headers)).status_code == 401


async def test_revoking_another_stores_key_is_not_found(session, gql, sessionmaker, shop):
    _store, key = shop
    foreign = await create_key(session, await create_store(session))
    await session.commit()
    before = await snapshot(sessionmaker, ApiKey, foreign.id)

    payload = await gql.query(REVOKE, {"id": str(foreign.id)}, headers=key.headers)

    assert user_errors(payload, "revokeApiKey") == [("id", "not_found")]
    assert payload["data"]["revokeApiKey"]["apiKey"] is None
    assert await snapshot(sessionmaker, ApiKey, foreign.id) == before
    assert (await gql.query(VIEWER, headers=foreign.headers))["_status"] == 200


async def test_revoke_with_a_malformed_id_is_a_validation_error(gql, shop):
    _store, key = shop

    payload = await gql.query(REVOKE, {"id": "key_1"}, headers=key.headers)

    assert user_errors(payload, "revokeApiKey") == [("id", "invalid")]


async def test_revoke_without_keys_write_is_refused(session, gql, sessionmaker, shop):
    store, _key = shop
    key = await create_key(session, store, scopes=_all_but(Scope.KEYS_WRITE))
    victim = await create_key(session, store)
    await session.commit()
    before = await snapshot(sessionmaker, ApiKey, victim.id)

    payload = await gql.query(REVOKE, {"id": str(victim.id)}, headers=key.headers)

    assert_insufficient_scope(payload, "revokeApiKey", "keys:write")
    assert await snapshot(sessionmaker, ApiKey, victim.id) == before


# --- who may revoke whom ----------------------------------------------------------------------------------------


async def _key_manager(session, store):
    """A key that manages keys and nothing else: keys:read and keys:write."""
    manager = await create_key(session, store, scopes=(Scope.KEYS_READ, Scope.KEYS_WRITE))
    await session.commit()
    return manager


async def test_a_narrow_key_cannot_revoke_a_key_holding_scopes_it_lacks(session, gql, sessionmaker, shop):
    store, full = shop
    manager = await _key_manager(session, store)
    before = await snapshot(sessionmaker, ApiKey, full.id)

    payload = await gql.query(REVOKE, {"id": str(full.id)}, headers=manager.headers)

    [error] = result_of(payload, "revokeApiKey")["userErrors"]
    assert (error["field"], error["code"]) == ("id", "insufficient_scope")
    lacked = ", ".join(f"'{scope}'" for scope in ALL_SCOPES if scope not in (Scope.KEYS_READ, Scope.KEYS_WRITE))
    assert error["message"] == f"This key lacks the {lacked} scopes."
    assert payload["data"]["revokeApiKey"]["apiKey"] is None
    assert await snapshot(sessionmaker, ApiKey, full.id) == before
    assert (await gql.query(VIEWER, headers=full.headers))["_status"] == 200


async def test_the_wider_key_keeps_working_after_the_narrow_key_revokes_itself(session, gql, client, shop):
    store, full = shop
    manager = await _key_manager(session, store)

    refused = await gql.query(REVOKE, {"id": str(full.id)}, headers=manager.headers)
    itself = await gql.query(REVOKE, {"id": str(manager.id)}, headers=manager.headers)

    assert user_errors(refused, "revokeApiKey") == [("id", "insufficient_scope")]
    assert succeeded(itself, "revokeApiKey")["apiKey"]["revokedAt"] is not None
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=manager.headers)).status_code == 401
    listed = await gql.query(LIST, {"first": 10}, headers=full.headers)
    assert {node["node"]["id"]: node["node"]["revokedAt"] is None for node in listed["data"]["apiKeys"]["edges"]} == {
        str(full.id): True,
        str(manager.id): False,
    }


async def test_a_key_may_revoke_a_key_whose_every_scope_it_holds(session, gql, shop):
    store, full = shop
    narrower = await create_key(session, store, scopes=(Scope.ORDERS_READ, Scope.KEYS_WRITE))
    await session.commit()

    payload = await gql.query(REVOKE, {"id": str(narrower.id)}, headers=full.headers)

    assert succeeded(payload, "revokeApiKey")["apiKey"]["revokedAt"] is not None


async def test_a_write_scope_counts_as_its_read_scope_when_revoking(session, gql, shop):
    store, _full = shop
    writer = await create_key(session, store, scopes=(Scope.KEYS_WRITE, Scope.CUSTOMERS_WRITE))
    reader = await create_key(session, store, scopes=(Scope.CUSTOMERS_READ, Scope.KEYS_READ))
    await session.commit()

    payload = await gql.query(REVOKE, {"id": str(reader.id)}, headers=writer.headers)

    assert succeeded(payload, "revokeApiKey")["apiKey"]["revokedAt"] is not None


async def test_a_read_scope_does_not_count_as_its_write_scope_when_revoking(session, gql, sessionmaker, shop):
    store, _full = shop
    reader = await create_key(session, store, scopes=(Scope.KEYS_WRITE, Scope.CUSTOMERS_READ))
    writer = await create_key(session, store, scopes=(Scope.CUSTOMERS_WRITE,))
    await session.commit()

    payload = await gql.query(REVOKE, {"id": str(writer.id)}, headers=reader.headers)

    [error] = result_of(payload, "revokeApiKey")["userErrors"]
    assert error["code"] == "insufficient_scope"
    assert error["message"] == "This key lacks the 'customers:write' scope."
    assert (await snapshot(sessionmaker, ApiKey, writer.id))["revoked_at"] is None


async def test_any_key_that_may_revoke_keys_may_revoke_a_public_key(session, gql, shop):
    store, _full = shop
    minimal = await create_key(session, store, scopes=(Scope.KEYS_WRITE,))
    public = await create_public_key(session, store)
    await session.commit()

    payload = await gql.query(REVOKE, {"id": str(public.id)}, headers=minimal.headers)

    assert succeeded(payload, "revokeApiKey")["apiKey"]["revokedAt"] is not None


async def test_rest_revoke_of_a_wider_key_is_403_naming_the_scopes_and_changes_nothing(
    session, client, sessionmaker, shop
):
    store, full = shop
    manager = await _key_manager(session, store)
    before = await snapshot(sessionmaker, ApiKey, full.id)

    response = await client.delete(
        f"/v1/keys/{full.id}", headers={**manager.headers, "Idempotency-Key": "revoke-wider"}
    )

    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "insufficient_scope"
    assert "'orders:write'" in error["message"]
    assert "'customers:write'" in error["message"]
    assert await snapshot(sessionmaker, ApiKey, full.id) == before
    assert (await client.get("/v1/whoami", headers=full.headers)).status_code == 200


async def test_rest_revoke_of_itself_by_a_narrow_key_is_200(session, client, shop):
    store, full = shop
    manager = await _key_manager(session, store)

    response = await client.delete(
        f"/v1/keys/{manager.id}", headers={**manager.headers, "Idempotency-Key": "revoke-self"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["revoked_at"] is not None
    assert (await client.get("/v1/whoami", headers=manager.headers)).status_code == 401
    assert (await client.get("/v1/whoami", headers=full.headers)).status_code == 200


# --- secrets at rest ----------------------------------------------------------------------------------------------


@pytest.fixture(params=["embedded", "redis"])
async def any_app(request, app, database_url):
    """The app on the embedded default, and one whose idempotency records live in the real Redis."""
    if request.param == "embedded":
        yield app
        return
    async with redis_app(database_url) as application:
        yield application


async def test_a_key_created_with_an_idempotency_key_is_kept_sealed_and_replayed(any_app, shop):
    _store, key = shop
    headers = {**key.headers, "Idempotency-Key": uuid4().hex}
    body = {"type": "platform", "scopes": ["orders:read"]}
    transport = httpx.ASGITransport(app=any_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
        first = await http.post("/v1/keys", json=body, headers=headers)
        kept = await kept_bytes(services_of(any_app).idempotency)
        again = await http.post("/v1/keys", json=body, headers=headers)

    token = first.json()["data"]["secret"]
    assert first.status_code == 201
    assert token.startswith("dzpk_live_")
    assert token.encode() not in kept
    assert token.rpartition(".")[2].encode() not in kept
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"]["secret"] == token

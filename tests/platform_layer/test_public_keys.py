"""Public keys: created by the CLI, GraphQL and REST with a signing secret shown once and validated allowed origins;
they authenticate the signed tracking endpoints and nothing else, and no platform key can hold their scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from db.models import ApiKey
from storegraph.cli import app as cli
from storegraph.platform.auth.key_format import KeyEnv, parse_public_key
from storegraph.platform.auth.origins import normalize_origin
from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from storegraph.platform.errors import ValidationFailed
from storegraph.rules.keys import PlatformKeyRequest, create_platform_key
from tests.support.factories import create_key, create_store
from tests.support.mutation_helpers import count_rows, result_of, succeeded, user_errors
from tests.support.tracking_support import PublicKey, create_public_key, post_signed

CREATE = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    apiKey { id keyId prefix type env scopes allowedOrigins }
    secret signingSecret userErrors { field code message }
  }
}
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return store, key


# --- the CLI ----------------------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)


def _invoke(*args: str) -> dict[str, Any]:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_keys_create_prints_a_public_key_with_its_signing_secret_and_origins(cli_env):
    store = _invoke("stores", "create", "--name", "Boutique Oran")

    key = _invoke(
        "keys",
        "create",
        "--store",
        str(store["id"]),
        "--type",
        "public",
        "--allowed-origins",
        "https://Shop.example/,http://localhost:3000",
        "--env",
        "test",
    )

    parsed = parse_public_key(key["key"])
    assert parsed is not None
    assert key["key"] == f"dzpub_test_{key['key_id']}"
    assert (key["type"], key["env"], key["scopes"]) == ("public", "test", ["tracking:write"])
    assert key["signing_secret"].startswith("dzsig_")
    assert key["allowed_origins"] == ["https://shop.example", "http://localhost:3000"]


def test_keys_create_prints_no_signing_secret_for_a_platform_key(cli_env):
    store = _invoke("stores", "create", "--name", "Boutique Tizi")

    key = _invoke("keys", "create", "--store", str(store["id"]))

    assert key["type"] == "platform"
    assert "signing_secret" not in key


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "public", "--scopes", "orders:read"], "holds only tracking:write"),
        (["--allowed-origins", "https://shop.example"], "only public keys"),
        (["--type", "public", "--allowed-origins", "https://shop.example/checkout"], "not an origin"),
        (["--scopes", "tracking:write"], "only by public keys"),
    ],
)
def test_keys_create_refuses_what_a_key_of_its_type_cannot_have(cli_env, args, message):
    store = _invoke("stores", "create", "--name", "Boutique Bouira")

    # Wide enough that the error box does not wrap the message.
    result = runner.invoke(cli, ["keys", "create", "--store", str(store["id"]), *args], env={"COLUMNS": "300"})

    assert result.exit_code != 0
    assert message in result.output


# --- GraphQL createApiKey ---------------------------------------------------------------------------------------


async def test_create_api_key_makes_a_public_key_whose_signing_secret_is_shown_once(sessionmaker, gql, shop):
    store, key = shop

    payload = await gql.query(
        CREATE, {"input": {"type": "PUBLIC", "allowedOrigins": ["https://shop.example:443"]}}, headers=key.headers
    )

    created = succeeded(payload, "createApiKey")
    api_key = created["apiKey"]
    assert (api_key["type"], api_key["env"], api_key["scopes"]) == ("PUBLIC", "LIVE", ["tracking:write"])
    assert api_key["allowedOrigins"] == ["https://shop.example"]
    assert created["secret"] == api_key["prefix"] == f"dzpub_live_{api_key['keyId']}"
    assert created["signingSecret"].startswith("dzsig_")
    async with sessionmaker() as session:
        row = await session.get(ApiKey, int(api_key["id"]))
    assert row is not None
    # Stored readable (it verifies signatures), like a webhook secret; a public key has no Bearer secret.
    assert (row.signing_secret, row.secret_hash) == (created["signingSecret"], None)
    listed = await gql.query("{ apiKeys { nodes { id } } }", headers=key.headers)
    assert created["signingSecret"] not in json.dumps(listed)
    assert store.id == row.store_id


async def test_a_platform_key_gets_no_signing_secret(gql, shop):
    _, key = shop

    payload = await gql.query(CREATE, {"input": {"scopes": ["orders:read"]}}, headers=key.headers)

    created = succeeded(payload, "createApiKey")
    assert created["signingSecret"] is None
    assert created["apiKey"]["allowedOrigins"] == []


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"type": "PUBLIC", "allowedOrigins": ["https://shop.example/path"]}, ("allowedOrigins", "invalid")),
        ({"type": "PUBLIC", "allowedOrigins": ["ftp://shop.example"]}, ("allowedOrigins", "invalid")),
        ({"type": "PUBLIC", "allowedOrigins": ["shop.example"]}, ("allowedOrigins", "invalid")),
        ({"type": "PUBLIC", "allowedOrigins": ["https://user:pw@shop.example"]}, ("allowedOrigins", "invalid")),
        (
            {"type": "PUBLIC", "allowedOrigins": [f"https://s{n}.example" for n in range(21)]},
            ("allowedOrigins", "too_long"),
        ),
        ({"type": "PUBLIC", "scopes": ["orders:read"]}, ("scopes", "invalid")),
        ({"scopes": ["orders:read"], "allowedOrigins": ["https://shop.example"]}, ("allowedOrigins", "invalid")),
        ({"scopes": ["tracking:write"]}, ("scopes", "forbidden")),
    ],
)
async def test_create_api_key_refuses_what_a_key_of_its_type_cannot_have(sessionmaker, gql, shop, given, problem):
    store, key = shop
    before = await count_rows(sessionmaker, ApiKey, store.id)

    payload = await gql.query(CREATE, {"input": given}, headers=key.headers)

    assert problem in user_errors(payload, "createApiKey")
    assert result_of(payload, "createApiKey")["signingSecret"] is None
    assert await count_rows(sessionmaker, ApiKey, store.id) == before


async def test_a_test_key_cannot_create_a_live_public_key(session, gql, shop):
    store, _ = shop
    test_key = await create_key(session, store, env=KeyEnv.TEST)
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"type": "PUBLIC", "env": "LIVE"}}, headers=test_key.headers)
    defaulted = await gql.query(CREATE, {"input": {"type": "PUBLIC"}}, headers=test_key.headers)

    assert ("env", "forbidden") in user_errors(payload, "createApiKey")
    assert succeeded(defaulted, "createApiKey")["secret"].startswith("dzpub_test_")


# --- REST POST /v1/keys -----------------------------------------------------------------------------------------


async def test_post_keys_makes_a_public_key_with_its_signing_secret_once(client, shop):
    _, key = shop

    response = await client.post(
        "/v1/keys",
        json={"type": "public", "name": "site", "allowed_origins": ["https://shop.example"]},
        headers={**key.headers, "Idempotency-Key": "public-key-1"},
    )

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert (data["type"], data["scopes"], data["allowed_origins"]) == (
        "public",
        ["tracking:write"],
        ["https://shop.example"],
    )
    assert data["secret"] == data["prefix"]
    assert data["signing_secret"].startswith("dzsig_")
    listed = await client.get("/v1/keys", headers=key.headers)
    assert data["signing_secret"] not in listed.text
    [public] = [item for item in listed.json()["data"]["items"] if item["id"] == data["id"]]
    assert public["allowed_origins"] == ["https://shop.example"]
    assert "signing_secret" not in public


async def test_post_keys_still_makes_platform_keys_and_refuses_other_types(client, shop):
    _, key = shop

    platform = await client.post(
        "/v1/keys", json={"scopes": ["orders:read"]}, headers={**key.headers, "Idempotency-Key": "platform-key-1"}
    )
    other = await client.post(
        "/v1/keys", json={"type": "admin", "scopes": []}, headers={**key.headers, "Idempotency-Key": "admin-key-1"}
    )

    assert platform.status_code == 201, platform.text
    assert (platform.json()["data"]["type"], platform.json()["data"]["signing_secret"]) == ("platform", None)
    assert other.status_code == 422
    assert other.json()["error"]["details"][0]["field"] == "type"


async def test_post_keys_refuses_a_bad_origin_with_details(client, shop):
    _, key = shop

    response = await client.post(
        "/v1/keys",
        json={"type": "public", "allowed_origins": ["https://shop.example/checkout"]},
        headers={**key.headers, "Idempotency-Key": "bad-origin-1"},
    )

    assert response.status_code == 422
    # The refused item, by its REST name and position in the list.
    assert response.json()["error"]["details"][0]["field"] == "allowed_origins.0"


# --- what a public key authenticates ----------------------------------------------------------------------------


async def test_a_public_key_created_through_graphql_signs_the_tracking_endpoints(client, gql, shop):
    _, key = shop
    created = succeeded(await gql.query(CREATE, {"input": {"type": "PUBLIC"}}, headers=key.headers), "createApiKey")
    public = PublicKey(
        id=int(created["apiKey"]["id"]),
        key_id=created["apiKey"]["keyId"],
        token=created["secret"],
        signing_secret=created["signingSecret"],
        store_id=0,
    )

    response = await post_signed(client, "/v1/signups", public, {"email": "a@example.dz"})

    assert response.status_code == 202, response.text


@pytest.mark.parametrize("path", ["/v1/whoami", "/v1/store", "/v1/customers", "/graphql"])
async def test_a_public_key_authenticates_nothing_else(session, client, path):
    store = await create_store(session)
    public = await create_public_key(session, store)
    await session.commit()
    attempts = [
        {"Authorization": f"Bearer {public.token}"},
        {"X-DZ-Key": public.token},
        {"Authorization": f"Bearer {public.token}.{public.signing_secret}"},
    ]
    for headers in attempts:
        if path == "/graphql":
            response = await client.post(path, json={"query": "{ whoami { keyId } }"}, headers=headers)
        else:
            response = await client.get(path, headers=headers)

        assert response.status_code == 401, (path, headers)


async def test_no_platform_key_can_be_given_the_tracking_scope(session, shop):
    assert Scope.TRACKING_WRITE not in ALL_SCOPES
    request = PlatformKeyRequest(scopes=["orders:read", "tracking:write"])
    store, _ = shop
    with pytest.raises(ValidationFailed, match="only by public keys"):
        await create_platform_key(session, store.id, request, caller_scopes=ALL_SCOPES, caller_env=KeyEnv.LIVE)


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://Shop.Example", "https://shop.example"),
        ("https://shop.example:443/", "https://shop.example"),
        ("http://shop.example:80", "http://shop.example"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://shop.example/a", None),
        ("https://shop.example?x=1", None),
        ("https://shop.example#top", None),
        ("https://shop.example:99999", None),
        ("null", None),
        ("*", None),
        ("https://", None),
        ("javascript:alert(1)", None),
    ],
)
def test_origins_are_normalised_as_browsers_send_them(raw, origin):
    assert normalize_origin(raw) == origin

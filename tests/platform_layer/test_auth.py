"""Key authentication on /graphql, the unauthenticated endpoints, and the HTTP shape of /graphql."""

from __future__ import annotations

import re
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from db.models import ApiKey
from storegraph.platform.auth.bearer import _bearer_token
from storegraph.platform.auth.key_format import KeyEnv, parse_platform_key
from storegraph.platform.timestamps import utcnow
from tests.support.factories import create_key, create_store

VIEWER = "{ viewer { keyId storeId } }"
# The documented format of a platform key (contract §2 "Keys, limits, idempotency").
DOCUMENTED_PLATFORM_KEY = re.compile(r"dzpk_(live|test)_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})")


def _bearer(token: str | bytes) -> dict[str, str | bytes]:
    if isinstance(token, bytes):
        return {"Authorization": b"Bearer " + token}
    return {"Authorization": f"Bearer {token}"}


def _assert_unauthorized(response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "unauthorized"
    assert "data" not in body or body["data"] is None


async def _post_viewer(client, headers):
    return await client.post("/graphql", json={"query": VIEWER}, headers=headers)


# --- authentication ---------------------------------------------------------------------------------------------


async def test_missing_authorization_is_unauthorized(client):
    response = await _post_viewer(client, {})

    _assert_unauthorized(response)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_non_bearer_scheme_is_unauthorized(session, client):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    response = await _post_viewer(client, {"Authorization": f"Basic {key.token}"})

    _assert_unauthorized(response)


async def test_bearer_scheme_without_token_is_unauthorized(client):
    response = await _post_viewer(client, {"Authorization": "Bearer"})

    _assert_unauthorized(response)


_HEX16 = "0123456789abcdef"
_SECRET43 = "A" * 43


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("dzpk_live_abc", id="truncated"),
        pytest.param(f"dzpk_live_{_HEX16}.short", id="short-secret"),
        pytest.param(f"dzpk_live_{_HEX16}", id="no-secret"),
        pytest.param(f"dzpk_live_{_HEX16}.", id="empty-secret"),
        pytest.param(f"dzpub_live_{_HEX16}", id="public-key"),
        pytest.param(f"dzpk_prod_{_HEX16}.{_SECRET43}", id="unknown-env"),
        pytest.param(f"DZPK_LIVE_{_HEX16.upper()}.{_SECRET43}", id="upper-case"),
        pytest.param(f"dzpk_live_{_HEX16}.{_SECRET43}x", id="secret-too-long"),
        pytest.param(f"dzpk_live_{_HEX16}.{'!' * 43}", id="secret-bad-alphabet"),
        pytest.param("not a key at all", id="random-text"),
        pytest.param("x" * 10_000, id="very-long"),
        pytest.param(f"dzpk_live_{_HEX16}.{'A' * 10_000}", id="very-long-secret"),
        pytest.param("dzpk_live_ｆｕｌｌｗｉｄｔｈ.sécrèt", id="non-ascii"),
        pytest.param("🔑" * 20, id="emoji"),
    ],
)
async def test_malformed_key_is_unauthorized(client, token):
    headers = _bearer(token.encode("utf-8")) if not token.isascii() else _bearer(token)

    response = await _post_viewer(client, headers)

    _assert_unauthorized(response)


async def test_well_formed_key_with_unknown_key_id_is_unauthorized(client):
    token = f"dzpk_live_{secrets.token_hex(8)}.{secrets.token_urlsafe(32)}"
    assert parse_platform_key(token) is not None

    response = await _post_viewer(client, _bearer(token))

    _assert_unauthorized(response)


async def test_right_key_id_with_wrong_secret_is_unauthorized(session, client):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    prefix, _, secret = key.token.partition(".")
    wrong = secrets.token_urlsafe(32)
    assert wrong != secret

    response = await _post_viewer(client, _bearer(f"{prefix}.{wrong}"))

    _assert_unauthorized(response)


async def test_live_key_presented_as_test_key_is_unauthorized(session, client):
    store = await create_store(session)
    key = await create_key(session, store, env=KeyEnv.LIVE)
    await session.commit()
    assert key.token.startswith("dzpk_live_")

    response = await _post_viewer(client, _bearer(key.token.replace("dzpk_live_", "dzpk_test_", 1)))

    _assert_unauthorized(response)


async def test_test_key_presented_as_live_key_is_unauthorized(session, client):
    store = await create_store(session)
    key = await create_key(session, store, env=KeyEnv.TEST)
    await session.commit()

    response = await _post_viewer(client, _bearer(key.token.replace("dzpk_test_", "dzpk_live_", 1)))

    _assert_unauthorized(response)


async def test_revoked_key_is_unauthorized(session, client):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    assert (await _post_viewer(client, key.headers)).status_code == 200

    row = await session.get(ApiKey, key.id)
    assert row is not None
    row.revoked_at = utcnow()
    await session.commit()

    response = await _post_viewer(client, key.headers)

    _assert_unauthorized(response)


async def test_valid_key_is_accepted(session, client):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    response = await _post_viewer(client, key.headers)

    assert response.status_code == 200
    assert response.json()["data"]["viewer"] == {"keyId": key.key_id, "storeId": str(store.id)}


async def test_bearer_scheme_is_case_insensitive(session, client):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    response = await _post_viewer(client, {"Authorization": f"bearer {key.token}"})

    assert response.status_code == 200


async def test_two_authorization_headers_are_refused_with_400_even_when_the_first_is_valid(session, client):
    key = await create_key(session, await create_store(session))
    await session.commit()
    headers = [("Authorization", f"Bearer {key.token}"), ("Authorization", "Bearer dzpk_live_other")]

    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "duplicate_header"}
    assert "www-authenticate" not in response.headers


async def test_the_same_key_sent_twice_is_refused_in_the_rest_envelope_too(session, client):
    key = await create_key(session, await create_store(session))
    await session.commit()
    headers = [("Authorization", f"Bearer {key.token}")] * 2

    response = await client.get("/v1/whoami", headers=headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate_header"
    assert response.json()["meta"]["request_id"] == response.headers["x-request-id"]


async def test_last_used_at_is_set_after_a_request(session, client):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    before = utcnow()

    response = await _post_viewer(client, key.headers)
    assert response.status_code == 200

    last_used = (await session.execute(select(ApiKey.last_used_at).where(ApiKey.id == key.id))).scalar_one()
    await session.commit()
    assert last_used is not None
    assert last_used.replace(tzinfo=None) >= before.replace(tzinfo=None, microsecond=0)


async def test_failed_authentication_does_not_touch_last_used_at(session, client):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    prefix, _, _ = key.token.partition(".")

    await _post_viewer(client, _bearer(f"{prefix}.{secrets.token_urlsafe(32)}"))

    last_used = (await session.execute(select(ApiKey.last_used_at).where(ApiKey.id == key.id))).scalar_one()
    await session.commit()
    assert last_used is None


# --- endpoints without a key ------------------------------------------------------------------------------------


async def test_graphiql_page_is_served_without_a_key(client):
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_healthz_answers_without_a_key(client):
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_answers_without_a_key(client):
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


# --- GET /graphql -----------------------------------------------------------------------------------------------


async def test_query_over_get_works_with_a_key(session, client):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    response = await client.get("/graphql", params={"query": "{viewer{keyId}}"}, headers=key.headers)

    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": {"keyId": key.key_id}}


async def test_query_over_get_without_a_key_is_unauthorized(client):
    response = await client.get("/graphql", params={"query": "{viewer{keyId}}"})

    _assert_unauthorized(response)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"query": "mutation { __typename }"}, id="anonymous"),
        pytest.param(
            {"query": "query A { viewer { keyId } } mutation B { __typename }", "operationName": "B"},
            id="named-next-to-a-query",
        ),
    ],
)
async def test_mutation_over_get_is_refused(session, client, params):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()

    response = await client.get("/graphql", params=params, headers=key.headers)

    body = response.json()
    assert response.status_code == 405
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "validation_error"


# --- HTTP shape of POST /graphql --------------------------------------------------------------------------------


@pytest.fixture
async def key_headers(session):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return key.headers


async def test_invalid_json_body_is_a_validation_error(client, key_headers):
    response = await client.post(
        "/graphql", content=b"{not json", headers={**key_headers, "Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "validation_error"


async def test_json_body_that_is_not_an_object_is_a_validation_error(client, key_headers):
    response = await client.post("/graphql", json=["{ viewer { keyId } }"], headers=key_headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "validation_error"


async def test_body_without_query_is_a_validation_error(client, key_headers):
    response = await client.post("/graphql", json={"variables": {}}, headers=key_headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "validation_error"


@pytest.mark.parametrize("variables", [[], "x", 1, True], ids=["list", "string", "number", "bool"])
async def test_variables_that_are_not_an_object_are_a_validation_error(client, key_headers, variables):
    response = await client.post("/graphql", json={"query": VIEWER, "variables": variables}, headers=key_headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "validation_error"


async def test_syntax_error_is_a_400_with_errors(client, key_headers):
    response = await client.post("/graphql", json={"query": "{ viewer { keyId "}, headers=key_headers)

    body = response.json()
    assert response.status_code == 400
    assert body["errors"]
    assert body["errors"][0]["extensions"]["code"] == "validation_error"
    assert body.get("data") is None


async def test_unknown_field_is_a_400_with_errors(client, key_headers):
    response = await client.post("/graphql", json={"query": "{ viewer { noSuchField } }"}, headers=key_headers)

    body = response.json()
    assert response.status_code == 400
    assert "noSuchField" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "validation_error"
    assert body.get("data") is None


async def test_unknown_operation_name_is_a_400(client, key_headers):
    response = await client.post(
        "/graphql", json={"query": "query A { viewer { keyId } }", "operationName": "B"}, headers=key_headers
    )

    body = response.json()
    assert response.status_code == 400
    assert body["errors"][0]["extensions"]["code"] == "validation_error"
    assert body.get("data") is None


async def test_subscription_over_post_is_a_400(client, key_headers):
    response = await client.post("/graphql", json={"query": "subscription { __typename }"}, headers=key_headers)

    body = response.json()
    assert response.status_code == 400
    assert body.get("data") is None
    assert body["errors"]


# --- properties of the pure parsing functions ------------------------------------------------------------------

_valid_platform_keys = st.from_regex(DOCUMENTED_PLATFORM_KEY, fullmatch=True)
_affixes = st.one_of(st.sampled_from(["", "\n", "\r\n", " ", "\x00"]), st.text(max_size=3))
_near_valid_platform_keys = st.one_of(
    st.builds(str.__add__, _valid_platform_keys, _affixes), st.builds(str.__add__, _affixes, _valid_platform_keys)
)
_header_values = st.one_of(
    st.text().map(lambda text: text.encode("utf-8")),
    st.binary(),
    st.builds(
        lambda scheme, rest: scheme + b" " + rest, st.sampled_from([b"Bearer", b"bearer", b"BEARER"]), st.binary()
    ),
)
_other_headers = st.lists(
    st.tuples(st.binary(max_size=20).filter(lambda name: name != b"authorization"), st.binary(max_size=40)),
    max_size=3,
)


@settings(max_examples=50, deadline=None, database=None)
@given(st.one_of(st.text(), _near_valid_platform_keys))
def test_parse_platform_key_never_raises_and_accepts_only_the_documented_format(token):
    parsed = parse_platform_key(token)

    if DOCUMENTED_PLATFORM_KEY.fullmatch(token) is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert f"dzpk_{parsed.env}_{parsed.key_id}.{parsed.secret}" == token


@settings(max_examples=50, deadline=None, database=None)
@given(_valid_platform_keys)
def test_parse_platform_key_accepts_every_documented_key(token):
    parsed = parse_platform_key(token)

    assert parsed is not None
    assert f"dzpk_{parsed.env}_{parsed.key_id}.{parsed.secret}" == token


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\x00"], ids=["lf", "crlf", "space", "nul"])
def test_parse_platform_key_refuses_trailing_characters(suffix):
    token = f"dzpk_live_{_HEX16}.{_SECRET43}"
    assert parse_platform_key(token) is not None

    assert parse_platform_key(token + suffix) is None


@settings(max_examples=50, deadline=None, database=None)
@given(_header_values, _other_headers)
def test_bearer_token_never_raises_on_arbitrary_header_bytes(value, other_headers):
    scope = {"headers": [*other_headers, (b"authorization", value)]}

    token = _bearer_token(scope)

    assert token is None or isinstance(token, str)
    if token is not None:
        assert value.decode("latin-1").lower().startswith("bearer ")

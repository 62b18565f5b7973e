"""The API key endpoints: who is calling, and the store's keys."""

from __future__ import annotations

from rest_compat import inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import PAGE_INFO, PAGE_VARS, USER_ERRORS
from storegraph.platform.auth.scopes import Scope

WHOAMI: tuple[Endpoint, ...] = (
    Endpoint(
        name="Whoami",
        method="GET",
        path="/v1/whoami",
        scope=None,
        summary="The calling key and its store",
        description="Any valid key: key id, type, env, scopes, store id and name, plan.",
        operation="query Whoami { whoami { ...Whoami } }",
        result="whoami",
        fragment="Whoami",
        resource="Key",
    ),
)

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListKeys",
        method="GET",
        path="/v1/keys",
        scope=Scope.KEYS_READ,
        conditional="content",
        summary="The store's API keys, revoked ones included, newest first; never a secret",
        operation=(
            "query ListKeys($first: Int!, $after: String) "
            f"{{ apiKeys(first: $first, after: $after) {{ nodes {{ ...ApiKey }} {PAGE_INFO} }} }}"
        ),
        result="apiKeys",
        result_kind="list",
        fragment="ApiKey",
        resource="Key",
        query=inputs.Page,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="CreateKey",
        method="POST",
        path="/v1/keys",
        scope=Scope.KEYS_WRITE,
        summary="Create a platform or public key; the response carries its secret (a public key's signing secret), "
        "once",
        description="A platform key names at least one scope, and cannot grant a scope the calling key does not "
        "have (`insufficient_scope`, naming the scope); it has no `allowed_origins`. A public key "
        '(`"type": "public"`, optional `allowed_origins`) holds `tracking:write` only, so `scopes` is left empty, '
        "and signs the tracking endpoints (docs/tracking.md). A test key cannot create a live key.",
        operation=(
            "mutation CreateKey($input: CreateApiKeyInput!) "
            f"{{ createApiKey(input: $input) {{ ...CreatedApiKey {USER_ERRORS} }} }}"
        ),
        result="createApiKey",
        user_errors="createApiKey.userErrors",
        fragment="CreatedApiKey",
        resource="Key",
        status=201,
        body=inputs.CreateKeyBody,
        body_var="input",
    ),
    Endpoint(
        name="RevokeKey",
        method="DELETE",
        path="/v1/keys/{id}",
        scope=Scope.KEYS_WRITE,
        summary="Revoke a key: it stops working at once, in every process",
        description="A key may revoke itself, or a key whose every scope it has (a write scope includes its read "
        "scope); otherwise 403 `insufficient_scope`, naming the scopes it lacks.",
        operation=(
            f"mutation RevokeKey($id: ID!) {{ revokeApiKey(id: $id) {{ apiKey {{ ...ApiKey }} {USER_ERRORS} }} }}"
        ),
        result="revokeApiKey.apiKey",
        user_errors="revokeApiKey.userErrors",
        fragment="ApiKey",
        resource="Key",
        path_vars={"id": "id"},
    ),
)

"""The store endpoints: its settings, metadata and plan."""

from __future__ import annotations

from rest_compat import inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import USER_ERRORS
from storegraph.platform.auth.scopes import Scope

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="GetStore",
        method="GET",
        path="/v1/store",
        scope=Scope.STORE_READ,
        summary="The store: settings, metadata, plan and its limits",
        operation="query GetStore { store { ...Store } }",
        result="store",
        fragment="Store",
        resource="Store",
    ),
    Endpoint(
        name="UpdateStore",
        method="PATCH",
        path="/v1/store",
        scope=Scope.STORE_WRITE,
        summary="Rename the store or merge keys into its settings and metadata",
        operation=(
            "mutation UpdateStore($input: UpdateStoreInput!) "
            f"{{ updateStore(input: $input) {{ store {{ ...Store }} {USER_ERRORS} }} }}"
        ),
        result="updateStore.store",
        user_errors="updateStore.userErrors",
        fragment="Store",
        resource="Store",
        body=inputs.UpdateStoreBody,
        body_var="input",
    ),
)

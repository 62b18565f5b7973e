"""The delivery zone endpoints (the store's settings: store:read / store:write)."""

from __future__ import annotations

from rest_compat import address_inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import USER_ERRORS
from storegraph.platform.auth.scopes import Scope

ZONE = "Delivery zone"
FEES = (
    "Checkout charges the `home_fee` or `desk_fee` of the zone holding the order's wilaya, by delivery type; "
    "orders placed before keep their fee."
)

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListDeliveryZones",
        method="GET",
        path="/v1/delivery-zones",
        scope=Scope.STORE_READ,
        summary="The store's delivery zones, oldest first",
        description="All of them (a wilaya is in at most one zone, so there are at most 58).",
        operation="query ListDeliveryZones { deliveryZones { ...DeliveryZone } }",
        result="deliveryZones",
        result_kind="all",
        fragment="DeliveryZone",
        resource=ZONE,
    ),
    Endpoint(
        name="CreateDeliveryZone",
        method="POST",
        path="/v1/delivery-zones",
        scope=Scope.STORE_WRITE,
        summary="Create a delivery zone",
        description=f"A name or a wilaya another zone of the store has is `conflict`. {FEES}",
        operation=(
            "mutation CreateDeliveryZone($input: CreateDeliveryZoneInput!) "
            f"{{ createDeliveryZone(input: $input) {{ deliveryZone {{ ...DeliveryZone }} {USER_ERRORS} }} }}"
        ),
        result="createDeliveryZone.deliveryZone",
        user_errors="createDeliveryZone.userErrors",
        fragment="DeliveryZone",
        resource=ZONE,
        status=201,
        body=address_inputs.CreateDeliveryZoneBody,
        body_var="input",
    ),
    Endpoint(
        name="UpdateDeliveryZone",
        method="PATCH",
        path="/v1/delivery-zones/{id}",
        scope=Scope.STORE_WRITE,
        summary="Change some fields of a delivery zone",
        description="`wilaya_ids` replaces the zone's wilayas; one another zone has is `conflict`.",
        operation=(
            "mutation UpdateDeliveryZone($input: UpdateDeliveryZoneInput!) "
            f"{{ updateDeliveryZone(input: $input) {{ deliveryZone {{ ...DeliveryZone }} {USER_ERRORS} }} }}"
        ),
        result="updateDeliveryZone.deliveryZone",
        user_errors="updateDeliveryZone.userErrors",
        fragment="DeliveryZone",
        resource=ZONE,
        path_vars={"id": "input.id"},
        body=address_inputs.UpdateDeliveryZoneBody,
        body_var="input",
    ),
    Endpoint(
        name="DeleteDeliveryZone",
        method="DELETE",
        path="/v1/delivery-zones/{id}",
        scope=Scope.STORE_WRITE,
        summary="Delete a delivery zone",
        description="Its wilayas may then join another zone; orders keep their fees.",
        operation=(
            f"mutation DeleteDeliveryZone($id: ID!) {{ deleteDeliveryZone(id: $id) "
            f"{{ ...DeletedDeliveryZone {USER_ERRORS} }} }}"
        ),
        result="deleteDeliveryZone",
        user_errors="deleteDeliveryZone.userErrors",
        fragment="DeletedDeliveryZone",
        resource=ZONE,
        path_vars={"id": "id"},
    ),
)

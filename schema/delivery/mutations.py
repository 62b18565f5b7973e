"""The delivery zone mutations (store:write)."""

from __future__ import annotations

from typing import Any, cast

import strawberry

from db.queries.delivery import zones_by_ids
from resolvers.core.context import Info
from schema.core.payloads import UserError, given, payload, run_mutation
from schema.core.scalars import Money
from schema.delivery.types import DeliveryZone
from storegraph.platform.ids import parse_id
from storegraph.rules.delivery import ZoneChanges, create_zone, delete_zone, update_zone

WILAYAS = "Algerian wilayas, 1–58, each in at most one zone of the store (`conflict` otherwise)."


@strawberry.input
class CreateDeliveryZoneInput:
    name: str = strawberry.field(description="Unique in the store, at most 100 characters.")
    wilaya_ids: list[int] = strawberry.field(description=f"{WILAYAS} At least one.")
    home_fee: Money
    desk_fee: Money


@strawberry.input(description="Fields left out stay as they are.")
class UpdateDeliveryZoneInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    wilaya_ids: list[int] | None = strawberry.field(
        default=strawberry.UNSET, description=f"Replaces the zone's wilayas. {WILAYAS}"
    )
    home_fee: Money | None = strawberry.UNSET
    desk_fee: Money | None = strawberry.UNSET


@strawberry.type
class DeliveryZonePayload:
    delivery_zone: DeliveryZone | None
    user_errors: list[UserError]


@strawberry.type
class DeleteDeliveryZonePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


def _changes(data: CreateDeliveryZoneInput | UpdateDeliveryZoneInput) -> ZoneChanges:
    return ZoneChanges(
        name=given(data.name),
        wilaya_ids=given(data.wilaya_ids),
        home_fee=given(data.home_fee),
        desk_fee=given(data.desk_fee),
    )


async def _zone_payload(info: Info, zone_id: int | None, errors: list[UserError]) -> Any:
    zones = [] if zone_id is None else await zones_by_ids(info.context.db, info.context.store_id, [zone_id])
    return payload(delivery_zone=zones[0] if zones else None, user_errors=errors)


@strawberry.type
class DeliveryZoneMutations:
    @strawberry.mutation(
        description="Creates a delivery zone. Checkout then charges its fees for orders to its wilayas; orders "
        "placed before keep theirs."
    )
    async def create_delivery_zone(self, info: Info, input: CreateDeliveryZoneInput) -> DeliveryZonePayload | None:
        store_id = info.context.store_id
        zone_id, errors = await run_mutation(info, lambda s: create_zone(s, store_id, _changes(input)))
        return cast("DeliveryZonePayload", await _zone_payload(info, zone_id, errors))

    @strawberry.mutation(description="Changes some fields of a delivery zone; `wilayaIds` replaces its wilayas.")
    async def update_delivery_zone(self, info: Info, input: UpdateDeliveryZoneInput) -> DeliveryZonePayload | None:
        store_id = info.context.store_id
        zone_id, errors = await run_mutation(
            info, lambda s: update_zone(s, store_id, parse_id(input.id), _changes(input))
        )
        return cast("DeliveryZonePayload", await _zone_payload(info, zone_id, errors))

    @strawberry.mutation(description="Deletes a delivery zone; its wilayas may then join another zone.")
    async def delete_delivery_zone(self, info: Info, id: strawberry.ID) -> DeleteDeliveryZonePayload | None:
        store_id = info.context.store_id
        deleted, errors = await run_mutation(info, lambda s: delete_zone(s, store_id, parse_id(id)))
        return cast(
            "DeleteDeliveryZonePayload",
            payload(deleted_id=None if deleted is None else str(deleted), user_errors=errors),
        )

"""The delivery zone reads behind the schema's fields, and their batched loads for compiled execution."""

from __future__ import annotations

from db.queries.delivery import Zone
from resolvers.core.context import Context
from resolvers.delivery import store_delivery_zones
from schema.core.compiled.plan import BatchedField, root_field


async def delivery_zones(context: Context) -> list[Zone]:
    return await store_delivery_zones(context)


BATCHED: dict[str, BatchedField] = {
    # Through the request's loader of the store's zones, which the zones of addresses share.
    "Query.deliveryZones": root_field(delivery_zones, across_fields=True),
}

"""Delivery zone reads: the store's zones, loaded whole once per request (a store has at most 58 of them), for
``deliveryZones`` and for the zone of every address a request shows."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from db.queries.delivery import Zone, store_zones
from db.queries.executor import Executor
from resolvers.core.context import Context


class ZonesByStoreLoader(DataLoader[int, list[Zone]]):
    """The request's store's zones; every key is the store id, so one statement serves the whole request."""

    def __init__(self, db: Executor, store_id: int) -> None:
        async def load(keys: list[int]) -> list[list[Zone]]:
            zones = await store_zones(db, store_id)
            return [zones for _ in keys]

        super().__init__(load_fn=load)


async def store_delivery_zones(context: Context) -> list[Zone]:
    return await context.loaders.get(ZonesByStoreLoader).load(context.store_id)


async def zones_of_wilayas(context: Context, wilaya_ids: list[int | None]) -> list[Zone | None]:
    """The zone holding each wilaya (``None`` for none, or for a null wilaya), from the one load of the zones."""
    by_wilaya = {wilaya: zone for zone in await store_delivery_zones(context) for wilaya in zone.wilaya_ids}
    return [None if wilaya is None else by_wilaya.get(wilaya) for wilaya in wilaya_ids]

"""A customer's address book as the schema shows it."""

from __future__ import annotations

from typing import cast

import strawberry

from resolvers.core.context import Info
from resolvers.delivery import zones_of_wilayas
from schema.core.scalars import DateTime
from schema.delivery.types import DeliveryZone


@strawberry.type(description="One address of a customer's address book.")
class CustomerAddress:
    id: strawberry.ID
    label: str | None = strawberry.field(description="The customer's name for it (`Home`, `Work`).")
    line1: str
    line2: str | None
    wilaya_id: int | None = strawberry.field(description="Algerian wilaya, 1–58; set for DZ addresses only.")
    commune: str | None
    postal_code: str | None
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 code, `DZ` by default.")
    phone: str | None = strawberry.field(description="Normalised like the customer's phone.")
    is_default: bool = strawberry.field(description="Exactly one address of a customer who has any is the default.")
    created_at: DateTime
    updated_at: DateTime

    @strawberry.field(description="The store's delivery zone holding the address's wilaya, if any.")
    async def delivery_zone(self, info: Info) -> DeliveryZone | None:
        [zone] = await zones_of_wilayas(info.context, [self.wilaya_id])
        return cast("DeliveryZone | None", zone)


__all__ = ["CustomerAddress"]

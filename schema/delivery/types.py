from __future__ import annotations

import strawberry

from schema.core.scalars import DateTime, Money


@strawberry.type(
    description="A store's delivery zone: the wilayas it covers (each wilaya in at most one zone of the store) and "
    "what checkout charges for an order delivered there."
)
class DeliveryZone:
    id: strawberry.ID
    name: str
    wilaya_ids: list[int] = strawberry.field(description="Algerian wilayas, 1–58, ascending.")
    home_fee: Money = strawberry.field(description="Delivery to the door, in DZD.")
    desk_fee: Money = strawberry.field(description="Delivery to the carrier's desk (stop desk), in DZD.")
    created_at: DateTime
    updated_at: DateTime


__all__ = ["DeliveryZone"]

from __future__ import annotations

import strawberry

from schema.scalars import DateTime


@strawberry.type(
    description="An endpoint that receives the store's events, signed with a secret that was shown only once."
)
class WebhookSubscription:
    id: strawberry.ID
    url: str
    events: list[str] = strawberry.field(description="Event names such as `order.created`.")
    is_active: bool = strawberry.field(description="False once deliveries failed for too long.")
    disabled_reason: str | None
    created_at: DateTime
    updated_at: DateTime

from __future__ import annotations

import strawberry

from schema.core.scalars import DateTime


@strawberry.type(
    description="An endpoint that receives the store's events, signed with a secret that was shown only once."
)
class WebhookSubscription:
    id: strawberry.ID
    url: str
    events: list[str] = strawberry.field(description="Event names such as `order.created`.")
    is_active: bool = strawberry.field(
        description="False once deliveries failed for too long (docs/webhooks.md); `enableWebhookSubscription` "
        "turns it back on."
    )
    disabled_reason: str | None = strawberry.field(description="Why and since when it was disabled.")
    failing_since: DateTime | None = strawberry.field(
        description="Since when every delivery attempt failed; null while the endpoint answers. A day of "
        "failures disables the subscription."
    )
    created_at: DateTime
    updated_at: DateTime


@strawberry.type(description="One attempt to deliver one event to a subscription's endpoint.")
class WebhookDelivery:
    id: strawberry.ID
    delivery_id: str = strawberry.field(
        description="The `X-DZ-Delivery` header: the same for every attempt of one event to one endpoint."
    )
    event_id: str = strawberry.field(description="The event's `id` (`evt_...`) in the delivered body.")
    event: str
    attempt: int = strawberry.field(description="1 for the first attempt, then each retry.")
    succeeded: bool = strawberry.field(description="The endpoint answered 2xx.")
    response_status: int | None = strawberry.field(description="Null when no HTTP answer came back.")
    duration_ms: int | None
    response_excerpt: str | None = strawberry.field(description="The first bytes of the endpoint's answer.")
    error: str | None = strawberry.field(
        description="Why the attempt failed without an answer: a timeout, a failed connection, a refused target "
        "address, or the store's webhooks quota (then nothing was sent)."
    )
    created_at: DateTime

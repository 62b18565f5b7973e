from __future__ import annotations

from typing import cast

import strawberry

from db.queries.webhook_subscriptions import webhook_subscriptions_by_ids
from domain.webhook_subscriptions import (
    SubscriptionRequest,
    create_subscription,
    delete_subscription,
    enable_subscription,
)
from resolvers.ids import parse_id
from schema.context import Info
from schema.mutations.common import UserError, payload, run_mutation
from schema.types.webhook_subscription import WebhookSubscription


@strawberry.input
class CreateWebhookSubscriptionInput:
    url: str = strawberry.field(description="An http or https URL, at most 2048 characters.")
    events: list[str] = strawberry.field(
        description="`order.created`, `order.confirmed`, `order.shipped`, `order.delivered`, `order.cancelled`, "
        "`signup.counted` or `product.stock_low`."
    )


@strawberry.type
class CreateWebhookSubscriptionPayload:
    webhook_subscription: WebhookSubscription | None
    secret: str | None = strawberry.field(
        description="The signing secret (`whsec_...`) of `X-DZ-Signature`. Shown only here: store it now."
    )
    user_errors: list[UserError]


@strawberry.type
class DeleteWebhookSubscriptionPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class EnableWebhookSubscriptionPayload:
    webhook_subscription: WebhookSubscription | None
    user_errors: list[UserError]


@strawberry.type
class WebhookSubscriptionMutations:
    @strawberry.mutation(description="Subscribes an endpoint to events; the response carries its signing secret.")
    async def create_webhook_subscription(
        self,
        info: Info,
        input: CreateWebhookSubscriptionInput,
    ) -> CreateWebhookSubscriptionPayload | None:
        store_id = info.context.store_id
        request = SubscriptionRequest(url=input.url, events=input.events)
        created, errors = await run_mutation(info, lambda s: create_subscription(s, store_id, request))
        subscription, secret = created if created else (None, None)
        rows = await webhook_subscriptions_by_ids(info.context.db, store_id, [subscription.id]) if subscription else []
        return cast(
            "CreateWebhookSubscriptionPayload",
            payload(webhook_subscription=rows[0] if rows else None, secret=secret, user_errors=errors),
        )

    @strawberry.mutation(description="Deletes a subscription; its endpoint receives no further deliveries.")
    async def delete_webhook_subscription(
        self,
        info: Info,
        id: strawberry.ID,
    ) -> DeleteWebhookSubscriptionPayload | None:
        store_id = info.context.store_id
        deleted, errors = await run_mutation(info, lambda s: delete_subscription(s, store_id, parse_id(id)))
        return cast("DeleteWebhookSubscriptionPayload", payload(deleted_id=deleted, user_errors=errors))

    @strawberry.mutation(
        description="Turns a subscription that was disabled for failing back on, once its endpoint is fixed: "
        "it receives the events from now on."
    )
    async def enable_webhook_subscription(
        self,
        info: Info,
        id: strawberry.ID,
    ) -> EnableWebhookSubscriptionPayload | None:
        store_id = info.context.store_id
        enabled, errors = await run_mutation(info, lambda s: enable_subscription(s, store_id, parse_id(id)))
        rows = await webhook_subscriptions_by_ids(info.context.db, store_id, [enabled.id]) if enabled else []
        return cast(
            "EnableWebhookSubscriptionPayload",
            payload(webhook_subscription=rows[0] if rows else None, user_errors=errors),
        )

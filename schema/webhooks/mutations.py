"""``redeliverWebhook``: send a logged delivery again (the merchant fixed their endpoint, or lost the event)."""

from __future__ import annotations

from typing import cast

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db.queries.webhooks import webhook_subscriptions_by_ids
from resolvers.core.context import Info
from schema.core.payloads import UserError, payload, run_mutation, written_row
from schema.webhooks.types import WebhookSubscription
from storegraph.platform.ids import parse_id
from storegraph.rules.webhooks.delivery_job import DELIVER, DeliveryJob
from storegraph.rules.webhooks.subscriptions import (
    Redelivery,
    SubscriptionRequest,
    create_subscription,
    delete_subscription,
    enable_subscription,
    plan_redelivery,
)


@strawberry.input
class CreateWebhookSubscriptionInput:
    url: str = strawberry.field(description="An http or https URL, at most 2048 characters.")
    events: list[str] = strawberry.field(
        description="`order.created`, `order.confirmed`, `order.shipped`, `order.delivered`, `order.cancelled`, "
        "`signup.counted`, `product.stock_low` or `customer.erased`."
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
        written = await written_row(info, webhook_subscriptions_by_ids, subscription.id if subscription else None)
        return cast(
            "CreateWebhookSubscriptionPayload",
            payload(webhook_subscription=written, secret=secret, user_errors=errors),
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
        written = await written_row(info, webhook_subscriptions_by_ids, enabled.id if enabled else None)
        return cast("EnableWebhookSubscriptionPayload", payload(webhook_subscription=written, user_errors=errors))


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: str = strawberry.field(description="The `deliveryId` (`X-DZ-Delivery`) of a logged attempt.")
    subscription_id: strawberry.ID | None = strawberry.field(
        default=None, description="When given, the delivery must be one of this subscription's."
    )


@strawberry.type
class RedeliverWebhookPayload:
    delivery_id: str | None = strawberry.field(
        description="The `X-DZ-Delivery` of the new attempts: the logged one, so the receiver can tell it is the "
        "same event."
    )
    user_errors: list[UserError]


@strawberry.type
class WebhookDeliveryMutations:
    @strawberry.mutation(
        description="Queues the event of a logged delivery for its endpoint again, with a fresh retry schedule; "
        "each attempt joins the delivery log. A disabled subscription must be enabled first."
    )
    async def redeliver_webhook(self, info: Info, input: RedeliverWebhookInput) -> RedeliverWebhookPayload | None:
        store_id = info.context.store_id
        queue = info.context.job_queue
        if queue is None:  # every app context has one; a context without it cannot queue work
            raise RuntimeError("redeliverWebhook needs the job queue")

        async def plan(session: AsyncSession) -> Redelivery:
            raw = input.subscription_id
            subscription_id = parse_id(raw, "subscriptionId") if raw is not None else None
            return await plan_redelivery(session, store_id, input.delivery_id, subscription_id)

        planned, errors = await run_mutation(info, plan)
        if planned is not None:
            job = DeliveryJob(
                planned.outbox_event_id, planned.subscription_id, planned.delivery_id, planned.previous_attempts
            )

            async def enqueue() -> None:
                await queue.enqueue(DELIVER, job.payload())

            # Queued once the request commits (a rolled-back request queues nothing); a failure to queue is the
            # request's 500, so the client never hears of a redelivery that was not stored.
            info.context.db.after_commit(enqueue)
        return cast(
            "RedeliverWebhookPayload",
            payload(delivery_id=planned.delivery_id if planned else None, user_errors=errors),
        )

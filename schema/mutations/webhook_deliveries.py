"""``redeliverWebhook``: send a logged delivery again (the merchant fixed their endpoint, or lost the event)."""

from __future__ import annotations

from typing import cast

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domain.webhook_subscriptions import Redelivery, plan_redelivery
from resolvers.ids import parse_id
from schema.context import Info
from schema.mutations.common import UserError, payload, run_mutation
from webhooks.delivery_job import DELIVER, DeliveryJob


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

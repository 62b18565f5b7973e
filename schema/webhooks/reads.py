"""The webhook reads behind the schema's fields: each root field's body, as compiled execution
(schema/core/compiled/) runs it too, answering exactly what the fields do."""

from __future__ import annotations

from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.webhooks import webhook_deliveries_page, webhook_subscriptions_page
from schema.core.compiled.plan import BatchedField, root_field


async def webhook_subscriptions(context: Context, first: int = 50, after: str | None = None) -> PageSource:
    return await webhook_subscriptions_page(context, first, after)


async def webhook_deliveries(
    context: Context, subscription_id: str, first: int = 50, after: str | None = None
) -> PageSource:
    return await webhook_deliveries_page(context, subscription_id, first, after)


BATCHED: dict[str, BatchedField] = {
    # Each selection of a list runs its own statements, as in the standard way.
    "Query.webhookSubscriptions": root_field(webhook_subscriptions, across_fields=False),
    "Query.webhookDeliveries": root_field(webhook_deliveries, across_fields=False),
}

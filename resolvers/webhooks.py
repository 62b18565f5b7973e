from __future__ import annotations

from db.queries.webhooks import (
    NEWEST_DELIVERIES,
    NEWEST_WEBHOOK_SUBSCRIPTIONS,
    count_deliveries,
    count_webhook_subscriptions,
    list_deliveries,
    list_webhook_subscriptions,
    subscription_exists,
)
from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.core.pagination import check_first, decode_after, make_page
from storegraph.platform.errors import NotFound
from storegraph.platform.ids import parse_id

WEBHOOK_SUBSCRIPTIONS_LIST = "webhook_subscriptions"


async def webhook_subscriptions_page(context: Context, first: int, after: str | None) -> PageSource:
    check_first(first)
    position = decode_after(context, WEBHOOK_SUBSCRIPTIONS_LIST, NEWEST_WEBHOOK_SUBSCRIPTIONS, after)
    rows = await list_webhook_subscriptions(context.db, context.store_id, position, first)
    return make_page(
        context,
        WEBHOOK_SUBSCRIPTIONS_LIST,
        NEWEST_WEBHOOK_SUBSCRIPTIONS,
        rows,
        first,
        position,
        lambda: count_webhook_subscriptions(context.db, context.store_id),
    )


WEBHOOK_DELIVERIES_LIST = "webhook_deliveries"


async def webhook_deliveries_page(
    context: Context, raw_subscription_id: str, first: int, after: str | None
) -> PageSource:
    """A subscription's delivery attempts, newest first; ``not_found`` for another store's subscription."""
    check_first(first)
    subscription_id = parse_id(raw_subscription_id, "subscriptionId")
    if not await subscription_exists(context.db, context.store_id, subscription_id):
        raise NotFound("Webhook", subscription_id, field="subscriptionId")
    position = decode_after(context, WEBHOOK_DELIVERIES_LIST, NEWEST_DELIVERIES, after)
    rows = await list_deliveries(context.db, context.store_id, subscription_id, position, first)
    return make_page(
        context,
        WEBHOOK_DELIVERIES_LIST,
        NEWEST_DELIVERIES,
        rows,
        first,
        position,
        lambda: count_deliveries(context.db, context.store_id, subscription_id),
    )

from __future__ import annotations

from db.queries.webhook_subscriptions import (
    NEWEST_WEBHOOK_SUBSCRIPTIONS,
    count_webhook_subscriptions,
    list_webhook_subscriptions,
)
from resolvers.pagination import check_first, decode_after, make_page
from schema.connections import PageSource
from schema.context import Context

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

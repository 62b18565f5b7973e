from __future__ import annotations

from db.queries.keys import NEWEST_API_KEYS, count_api_keys, list_api_keys
from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.core.pagination import check_first, decode_after, make_page

API_KEYS_LIST = "api_keys"


async def api_keys_page(context: Context, first: int, after: str | None) -> PageSource:
    check_first(first)
    position = decode_after(context, API_KEYS_LIST, NEWEST_API_KEYS, after)
    rows = await list_api_keys(context.db, context.store_id, position, first)
    return make_page(
        context,
        API_KEYS_LIST,
        NEWEST_API_KEYS,
        rows,
        first,
        position,
        lambda: count_api_keys(context.db, context.store_id),
    )

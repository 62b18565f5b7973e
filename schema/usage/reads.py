"""The ``usage`` and ``quotas`` reports behind the schema's fields, as compiled execution (schema/core/compiled/)
runs them too: each read whole from the limiter by its root field, its objects plain attributes."""

from __future__ import annotations

from resolvers.core.context import Context
from resolvers.usage import QuotasSource, UsageSource, key_usage, store_quotas
from schema.core.compiled.plan import BatchedField, root_field


async def usage(context: Context) -> UsageSource:
    return await key_usage(context)


async def quotas(context: Context) -> QuotasSource:
    return await store_quotas(context)


BATCHED: dict[str, BatchedField] = {
    # The limiter is read once per selection, as in the standard way; reading takes no slot of the window.
    "Query.usage": root_field(usage, across_fields=False),
    "Query.quotas": root_field(quotas, across_fields=False),
}

"""The API key reads behind the schema's fields: the root field's body, and the batched loads compiled execution
(schema/core/compiled/) uses for a whole level of parents, answering exactly what the fields do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.keys import api_keys_page
from schema.core.compiled.plan import BatchedField, root_field
from storegraph.platform.auth.key_format import key_prefix


async def api_keys(context: Context, first: int = 50, after: str | None = None) -> PageSource:
    return await api_keys_page(context, first, after)


async def prefixes(_context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[str]:
    """``ApiKey.prefix`` of a level: read off the key rows themselves, no statement."""
    return [key_prefix(parent.type, parent.env, parent.key_id) for parent in parents]


BATCHED: dict[str, BatchedField] = {
    # Each selection of the list runs its own statement, as in the standard way.
    "Query.apiKeys": root_field(api_keys, across_fields=False),
    "ApiKey.prefix": BatchedField(prefixes, across_fields=False),
}

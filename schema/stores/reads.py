"""The store and viewer reads behind the schema's fields: each root field's body, and the batched loads compiled
execution (schema/core/compiled/) uses for a whole level of parents, answering exactly what the fields do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from resolvers.core.context import Context
from resolvers.stores import ViewerSource, current_store, plan_limits, viewer
from schema.core.compiled.plan import BatchedField, root_field
from storegraph.platform.limits.plans import Plan


async def calling_viewer(context: Context) -> ViewerSource:
    """``viewer``/``whoami``: read off the request's principal, no statement."""
    return viewer(context)


async def store(context: Context) -> Row[Any]:
    return await current_store(context)


async def limits_of_stores(context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[Plan]:
    """``Store.limits`` of a level: each store's plan looked up in the settings, no statement."""
    return [plan_limits(context, parent.plan) for parent in parents]


BATCHED: dict[str, BatchedField] = {
    # No DataLoader behind these: each selection reads (and, for the store, runs its statement) on its own.
    "Query.viewer": root_field(calling_viewer, across_fields=False),
    "Query.whoami": root_field(calling_viewer, across_fields=False),
    "Query.store": root_field(store, across_fields=False),
    "Store.limits": BatchedField(limits_of_stores, across_fields=False),
}

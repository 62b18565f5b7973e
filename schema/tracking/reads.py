"""The tracking reads behind the schema's fields (``signups``, ``eventCounts``): each root field's body, and the
batched loads compiled execution (schema/core/compiled/) uses for a whole level of parents, answering exactly what
the fields do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import strawberry

from resolvers.core.context import Context
from resolvers.core.pages import PageSource
from resolvers.tracking import EventCountsSource, event_counts_report, signups_page
from schema.core.compiled.plan import BatchedField, root_field


async def signups(context: Context, first: int = 50, after: str | None = None) -> PageSource:
    return await signups_page(context, first, after)


async def event_counts(
    context: Context, from_: date | None = None, to: date | None = None, event: str | None = None
) -> EventCountsSource:
    return await event_counts_report(context, from_, to, event)


async def signup_ids(_context: Context, parents: Sequence[Any], _arguments: dict[str, Any]) -> list[strawberry.ID]:
    """``Signup.id`` of a level: each row's public id, no statement."""
    return [strawberry.ID(parent.public_id) for parent in parents]


BATCHED: dict[str, BatchedField] = {
    # Each selection runs its own statement, as in the standard way.
    "Query.signups": root_field(signups, across_fields=False),
    "Query.eventCounts": root_field(event_counts, across_fields=False),
    "Signup.id": BatchedField(signup_ids, across_fields=False),
}

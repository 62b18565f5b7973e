"""Arguments shared by every connection: ``first`` bounds and ``after`` cursors bound to their list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from db.queries.pagination import Ordering
from resolvers.core.context import Context
from resolvers.core.cursors import binding_for
from resolvers.core.pages import CursorMaker, PageSource
from storegraph.platform.errors import ValidationFailed

MAX_PAGE_SIZE = 200


def check_first(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise ValidationFailed.single(
            "first", "out_of_range", f"first must be between 1 and {MAX_PAGE_SIZE}, got {first}"
        )
    return first


def cursor_maker(context: Context, list_name: str, ordering: Ordering) -> CursorMaker:
    return CursorMaker(context.cursors, binding_for(list_name, ordering.name, context.store_id), ordering)


def decode_after(context: Context, list_name: str, ordering: Ordering, after: str | None) -> list[Any] | None:
    """The cursor's position, checked to belong to this list, ordering and store (else ``invalid_cursor``)."""
    if after is None:
        return None
    values = context.cursors.decode(binding_for(list_name, ordering.name, context.store_id), after)
    ordering.parse(values)
    return values


def make_page(
    context: Context,
    list_name: str,
    ordering: Ordering,
    rows: Sequence[Any],
    first: int,
    after: list[Any] | None,
    count: Callable[[], Awaitable[int]],
) -> PageSource:
    maker = cursor_maker(context, list_name, ordering)
    return PageSource(rows, first, maker, count, has_previous=after is not None)

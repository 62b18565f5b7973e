"""Relay connections as the schema describes them; resolvers/core/pages.py has what they are at run time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import strawberry

from resolvers.core.context import Context
from resolvers.core.pages import ConnectionSource
from schema.core.compiled.plan import BatchedField

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


async def total_count(root: strawberry.Parent[ConnectionSource]) -> int:
    return await root.total_count()


async def _total_counts(_context: Context, pages: Sequence[Any], _arguments: dict[str, Any]) -> list[int]:
    # Started together, as graphql-core starts the field for every page: a DataLoader's counts share a statement.
    # All are awaited before a failure is raised, so that none is left running.
    counts: list[int] = []
    for count in await asyncio.gather(*(page.total_count() for page in pages), return_exceptions=True):
        if isinstance(count, BaseException):
            raise count
        counts.append(count)
    return counts


# ``totalCount`` for a whole level of pages (schema/core/compiled/).
TOTAL_COUNT = BatchedField(_total_counts)


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T] = strawberry.field(description="The nodes of `edges`, for when cursors are not needed.")
    page_info: PageInfo
    total_count: int = strawberry.field(
        resolver=total_count, description="Matching nodes in the whole list, not only this page."
    )

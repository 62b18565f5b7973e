"""Relay connections as the schema describes them; resolvers/core/pages.py has what they are at run time."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

from resolvers.core.pages import ConnectionSource

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


async def _total_count(root: strawberry.Parent[ConnectionSource]) -> int:
    return await root.total_count()


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T] = strawberry.field(description="The nodes of `edges`, for when cursors are not needed.")
    page_info: PageInfo
    total_count: int = strawberry.field(
        resolver=_total_count, description="Matching nodes in the whole list, not only this page."
    )

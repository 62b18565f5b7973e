"""What connection fields return at run time: slotted objects whose fields are plain attributes or properties,
computed only when asked (a cursor costs an HMAC, so it is made only for the edges whose ``cursor`` is selected).
schema/core/connections.py describes them to GraphQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import Any

from db.queries.pagination import Ordering
from resolvers.core.cursors import CursorCodec


class CursorMaker:
    __slots__ = ("binding", "codec", "ordering")

    def __init__(self, codec: CursorCodec, binding: str, ordering: Ordering) -> None:
        self.codec = codec
        self.binding = binding
        self.ordering = ordering

    def cursor_for(self, row: Any) -> str:
        return self.codec.encode(self.binding, self.ordering.key_of(row))


class EdgeSource(tuple[Any, CursorMaker]):
    """An edge: its node and the cursors that make its cursor. A pair, so that a page's edges are made without a
    Python call per edge (``ConnectionSource.edges``)."""

    __slots__ = ()

    node = property(itemgetter(0))

    @property
    def cursor(self) -> str:
        return self[1].cursor_for(self[0])


_new_edge = partial(tuple.__new__, EdgeSource)


class PageInfoSource:
    __slots__ = ("_cursors", "_nodes", "has_next_page", "has_previous_page")

    def __init__(self, nodes: Sequence[Any], cursors: CursorMaker, *, has_next: bool, has_previous: bool) -> None:
        self._nodes = nodes
        self._cursors = cursors
        self.has_next_page = has_next
        self.has_previous_page = has_previous

    @property
    def start_cursor(self) -> str | None:
        return self._cursors.cursor_for(self._nodes[0]) if self._nodes else None

    @property
    def end_cursor(self) -> str | None:
        return self._cursors.cursor_for(self._nodes[-1]) if self._nodes else None


class ConnectionSource:
    __slots__ = ("_count", "_cursors", "nodes")

    def __init__(self, nodes: Sequence[Any], cursors: CursorMaker, count: Callable[[], Awaitable[int]]) -> None:
        self.nodes = nodes
        self._cursors = cursors
        self._count = count

    @property
    def edges(self) -> list[EdgeSource]:
        return list(map(_new_edge, zip(self.nodes, repeat(self._cursors))))

    def total_count(self) -> Awaitable[int]:
        return self._count()


class PageSource(ConnectionSource):
    """A connection page plus its ``pageInfo`` (``first + 1`` rows were fetched to know if more follow)."""

    __slots__ = ("_has_next", "_has_previous")

    def __init__(
        self,
        rows: Sequence[Any],
        first: int,
        cursors: CursorMaker,
        count: Callable[[], Awaitable[int]],
        *,
        has_previous: bool,
    ) -> None:
        # ConnectionSource's attributes set here: a level of pages (the orders of fifty customers) makes one each.
        self.nodes = rows[:first]
        self._cursors = cursors
        self._count = count
        self._has_next = len(rows) > first
        self._has_previous = has_previous

    @property
    def page_info(self) -> PageInfoSource:
        """Made when asked: most pages of a level are never asked for theirs."""
        return PageInfoSource(self.nodes, self._cursors, has_next=self._has_next, has_previous=self._has_previous)

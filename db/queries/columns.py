"""A read's columns cut down to those its caller looks at: the driver decodes every column it is sent, and a list of
fifty wide rows spends more of its time decoding columns nobody shows than on anything else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement

C = TypeVar("C", bound=ColumnElement[Any])


def chosen_columns(
    columns: Sequence[C], wanted: frozenset[str] | None, always: Iterable[str], computed: Sequence[C] = ()
) -> tuple[C, ...]:
    """``columns`` (in their order) whose key is ``wanted`` or ``always`` (those the statement's own work reads:
    the id, the sort column, a grouping key); all of them when ``wanted`` is ``None``. Then the ``computed`` ones
    (a subquery's value, labelled) whose key is ``wanted``: never part of a whole row, which reads no more than
    the table's columns."""
    if wanted is None:
        return tuple(columns)
    keep = wanted.union(always)
    return tuple(column for column in columns if column.key in keep) + tuple(
        column for column in computed if column.key in wanted
    )

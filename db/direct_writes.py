"""Writes built once (``PreparedWrite``), run on the PostgreSQL driver inside a transaction by
``db.queries.executor.core_write``, as ``PreparedRead`` runs the reads built once.

SQLAlchemy compiles a DML statement for the names of the parameters it runs with (an INSERT's columns are the ones
given, the others take their defaults), so a write is compiled once per set of names, the way SQLAlchemy's own
cache keys it; the Python-side defaults of the columns not given (``default=``, ``onupdate=``) are computed per
call, as SQLAlchemy's execution computes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import UpdateBase

from db.direct_reads import CompiledRead, compile_read

# Sets of parameter names compiled for one statement: its callers build their parameters the same way every time
# (a handful of sets), so past this many something builds them otherwise and the compiled forms are dropped.
_MOST_VARIANTS = 64


class PreparedWrite:
    """An INSERT, UPDATE or DELETE built once and run many times with other parameters: ``statement`` is what
    SQLAlchemy runs (SQLite, an engine someone listens to), ``compiled_for`` what the driver runs."""

    __slots__ = ("_compiled", "_dialect", "statement")

    def __init__(self, statement: UpdateBase) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, ...], CompiledRead | None] = {}
        self._dialect: Dialect | None = None

    def compiled_for(self, dialect: Dialect, parameters: Mapping[str, Any]) -> CompiledRead | None:
        """The statement compiled for ``parameters``' names; ``None`` if the driver cannot run it (a column's
        default reads SQLAlchemy's execution context): SQLAlchemy runs it then."""
        if dialect is not self._dialect:
            self._compiled, self._dialect = {}, dialect
        names = tuple(parameters)
        try:
            return self._compiled[names]
        except KeyError:
            pass
        try:
            compiled: CompiledRead | None = compile_read(self.statement, dialect, sorted(names))
        except ValueError:
            compiled = None
        if len(self._compiled) >= _MOST_VARIANTS:
            self._compiled = {}
        self._compiled[names] = compiled
        return compiled

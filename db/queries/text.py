from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.orm import QueryableAttribute


def contains_ci(columns: tuple[QueryableAttribute[Any], ...], needle: str) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of ``columns``, identical on SQLite and PostgreSQL."""
    escaped = needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))

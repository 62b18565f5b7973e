from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, func, or_
from sqlalchemy.orm import QueryableAttribute


def contains_ci(columns: tuple[QueryableAttribute[Any], ...], name: str) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of ``columns``, identical on SQLite and PostgreSQL: the parameter
    ``name`` holds the needle's ``contains_pattern``."""
    pattern = bindparam(name, type_=String())
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))


def contains_pattern(needle: str) -> str:
    """The LIKE pattern of ``contains_ci`` that finds ``needle`` (lowercased, its wildcards escaped)."""
    escaped = needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

"""Timestamps: naive UTC in the database and in memory, ``YYYY-MM-DD HH:MM:SS`` (UTC) wherever REST shows them
(``/v1`` bodies, webhook and event bodies), ISO 8601 with ``Z`` in GraphQL (schema/core/scalars.py)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, the one timestamp convention of the database (both dialects store it the same way)."""
    return datetime.now(UTC).replace(tzinfo=None)


def rest_timestamp(value: datetime | None) -> str | None:
    """A naive UTC time as REST shows it: ``2026-04-30 14:22:10``."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else None


def rest_timestamp_of_iso(value: str | None) -> str | None:
    """GraphQL's ``2026-04-30T14:22:10Z`` as REST shows it, ``2026-04-30 14:22:10``: the same text as
    ``rest_timestamp`` gives for that time, cut from the string (it runs once per timestamp of every /v1 answer)."""
    if value is None:
        return None
    return f"{value[:10]} {value[11:19]}"

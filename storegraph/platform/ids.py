"""Ids: positive 64-bit integers, the range of every id column. GraphQL passes them as strings, REST as integers;
both are checked here before they reach SQL, so an out-of-range id is a validation error, never a 500."""

from __future__ import annotations

from storegraph.platform.errors import ValidationFailed

MAX_ID = 2**63 - 1


def id_or_none(raw: str | int) -> int | None:
    """``raw`` as an id, or ``None`` when it cannot be one (not ASCII digits, zero, over ``MAX_ID``)."""
    text = str(raw)
    if not text.isascii() or not text.isdigit() or len(text) > 19 or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


def parse_id(raw: str | int, field: str = "id") -> int:
    """An id argument as an integer; ``validation_error`` for anything that cannot be an id."""
    value = id_or_none(raw)
    if value is None:
        raise ValidationFailed.single(field, "invalid", f"{field} must be a positive integer id")
    return value

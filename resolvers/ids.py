from __future__ import annotations

from domain.errors import ValidationFailed

_MAX_ID = 2**63 - 1


def parse_id(raw: str | int, field: str = "id") -> int:
    """An id argument as an integer; ``validation_error`` for anything that cannot be an id."""
    text = str(raw)
    if not text.isascii() or not text.isdigit() or len(text) > 19 or not 0 < int(text) <= _MAX_ID:
        raise ValidationFailed.single(field, "invalid", f"{field} must be a positive integer id")
    return int(text)

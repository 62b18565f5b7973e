"""Text arguments of list filters, checked before they reach SQL.

PostgreSQL refuses NUL in a text parameter (an error at execution, which would be a 500), so a filter string with a
control character is the client's ``validation_error``; the length bound keeps a LIKE pattern small.
"""

from __future__ import annotations

from storegraph.platform.errors import ValidationFailed
from storegraph.platform.validation import has_control_characters

MAX_FILTER_TEXT = 256


def filter_text(field: str, value: str | None) -> str | None:
    """``value`` unchanged when it is fit for a query; ``validation_error`` on ``field`` otherwise."""
    if value is None:
        return None
    if len(value) > MAX_FILTER_TEXT:
        raise ValidationFailed.single(field, "too_long", f"{field} must be at most {MAX_FILTER_TEXT} characters")
    if has_control_characters(value):
        raise ValidationFailed.single(field, "invalid", f"{field}: control characters are not allowed")
    return value

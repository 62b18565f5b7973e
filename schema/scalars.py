"""Scalars: timestamps are UTC ISO 8601 with a ``Z``; input also takes REST's ``YYYY-MM-DD HH:MM:SS``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition


def serialize_datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def parse_datetime(value: object) -> datetime:
    """Naive UTC from ISO 8601 (with or without offset) or ``YYYY-MM-DD HH:MM:SS``; ``ValueError`` otherwise."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("DateTime must be an ISO 8601 string such as 2026-04-30T14:22:10Z")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _parse_datetime_input(value: object) -> datetime:
    """``parse_datetime`` for GraphQL input: a bad value is the client's error (``validation_error``, 400).

    graphql-core keeps any other exception as the error's ``original_error``, which is masked as an
    ``internal_error`` and logged as an incident.
    """
    try:
        return parse_datetime(value)
    except (ValueError, TypeError) as error:
        raise GraphQLError(f"Invalid DateTime {value!r}: {error}") from None


DateTime = NewType("DateTime", datetime)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        serialize=serialize_datetime,
        parse_value=_parse_datetime_input,
        description="UTC timestamp in ISO 8601, e.g. 2026-04-30T14:22:10Z.",
    )
}

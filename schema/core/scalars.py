"""Scalars: timestamps are UTC ISO 8601 with a ``Z``; input also takes REST's ``YYYY-MM-DD HH:MM:SS``.

Money is an integer amount of the store's currency: GraphQL's ``Int`` is 32 bits, so an order total or a customer's
``totalSpent`` above 2,147,483,647 could not be returned, after the order was already written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NewType

import strawberry
from graphql import GraphQLError, IntValueNode, ValueNode, print_ast
from strawberry.types.scalar import ScalarDefinition

from storegraph.platform.money import MAX_MONEY, is_money

MAX_DATETIME_LENGTH = 40
# The widest value a money column holds; anything beyond cannot come from the database.
MIN_STORED_MONEY, MAX_STORED_MONEY = -(2**63), 2**63 - 1
# Why a scalar refuses a value, as the rest of a sentence that starts with the value's name.
DATETIME_FORMAT = "must be an ISO 8601 time such as 2026-04-30T14:22:10Z, or 2026-04-30 14:22:10 in UTC"
DATETIME_RANGE = "is out of range: once converted to UTC it must fall within the years 1 to 9999"
_MONEY_RANGE = f"must be a whole amount of the store's currency between 0 and {MAX_MONEY}"


class ScalarRefusal(GraphQLError):
    """A scalar refusing a client's value (a ``validation_error``). Besides GraphQL's message it keeps why in words
    that fit any name: ``problem`` completes a sentence that starts with the value's name, so the REST layer can say
    ``since is out of range: ...`` of the variable behind its ``since`` parameter; ``code`` is the detail's code."""

    def __init__(self, message: str, *, problem: str, code: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.code = code


class DateTimeOutOfRange(ValueError):
    """A well-formed time that leaves the years 1–9999 once moved to UTC."""


def serialize_datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def parse_datetime(value: object) -> datetime:
    """Naive UTC (the database's convention, see db/base.py) from ISO 8601, with or without an offset, or
    ``YYYY-MM-DD HH:MM:SS``; ``ValueError`` for anything else, including a time that leaves the years 1–9999 once
    moved to UTC (``0001-01-01T00:00:00+01:00``)."""
    if not isinstance(value, str) or len(value) > MAX_DATETIME_LENGTH:
        raise ValueError(f"DateTime {DATETIME_FORMAT}")
    # RFC 3339 allows a lowercase ``t`` and ``z``, which Python's parser does not read.
    text = value.upper()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"DateTime {DATETIME_FORMAT}") from None
    try:
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise DateTimeOutOfRange(f"DateTime {DATETIME_RANGE}") from None
    return parsed


def parse_datetime_input(value: object) -> datetime:
    """``parse_datetime`` for GraphQL input: a bad value is the client's error (``validation_error``, 400).

    graphql-core keeps any other exception as the error's ``original_error``, which is masked as an
    ``internal_error`` and logged as an incident.
    """
    try:
        return parse_datetime(value)
    except (ValueError, TypeError) as error:
        out_of_range = isinstance(error, DateTimeOutOfRange)
        problem, code = (DATETIME_RANGE, "out_of_range") if out_of_range else (DATETIME_FORMAT, "invalid")
        message = f"Invalid DateTime {_shown(value)}: DateTime {problem}"
        raise ScalarRefusal(message, problem=problem, code=code) from None


def serialize_money(value: object) -> int:
    """A stored amount as a JSON number. Lenient on type (an aggregate may come back as ``Decimal``), never on
    value: a fraction or an amount no money column can hold is a bug, reported as an internal error."""
    amount = int(value) if isinstance(value, Decimal) and value == value.to_integral_value() else value
    if not isinstance(amount, int) or isinstance(amount, bool) or not MIN_STORED_MONEY <= amount <= MAX_STORED_MONEY:
        raise TypeError(f"Money cannot represent {_shown(value)}")
    return amount


def parse_money(value: object) -> int:
    """A variable's amount. A JSON number only: an integer, or a float with no fraction (``1500.0``, which some
    JSON encoders write); never a string or a boolean. Out of 0..MAX_MONEY is the client's error."""
    amount = int(value) if isinstance(value, float) and value.is_integer() else value
    if not is_money(amount):
        code = "out_of_range" if isinstance(amount, int) and not isinstance(amount, bool) else "invalid"
        raise ScalarRefusal(f"Money {_MONEY_RANGE}; got {_shown(value)}", problem=_MONEY_RANGE, code=code)
    return amount


def parse_money_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> int:
    """An amount written in the document: an integer literal only, like ``Int``. Its length is checked before
    ``int()``, which refuses more than 4300 digits with a ``ValueError`` (an internal error, not the client's)."""
    if not isinstance(node, IntValueNode) or len(node.value) > len(str(MAX_MONEY)):
        code = "out_of_range" if isinstance(node, IntValueNode) else "invalid"
        raise ScalarRefusal(f"Money {_MONEY_RANGE}; got {_shown(print_ast(node))}", problem=_MONEY_RANGE, code=code)
    return parse_money(int(node.value))


def _shown(value: object) -> str:
    """The client's value for an error message, cut short: the message must not echo a megabyte back."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


DateTime = NewType("DateTime", datetime)
Money = NewType("Money", int)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        serialize=serialize_datetime,
        parse_value=parse_datetime_input,
        description="UTC timestamp in ISO 8601, e.g. 2026-04-30T14:22:10Z.",
    ),
    Money: strawberry.scalar(
        name="Money",
        serialize=serialize_money,
        parse_value=parse_money,
        parse_literal=parse_money_literal,
        description=(
            "An integer amount of the store's currency (DZD), as a JSON number: 1500 is 1500 DZD. Unlike `Int` it "
            f"is not limited to 32 bits. Input must be a whole number from 0 to {MAX_MONEY} (a JSON integer, or "
            "a float without fraction such as 1500.0); strings, booleans and fractions are refused."
        ),
    ),
}

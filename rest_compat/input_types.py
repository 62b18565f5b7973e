"""The value types of /v1's request models (rest_compat/inputs.py), built from the domain's own constants.

pydantic enforces each type exactly as the JSON Schema it generates for the OpenAPI document says, so the
document cannot promise less or more than the request check: a length, a range or a pattern is written once, in
the rule that needs it, and read from there. Free-form JSON is the exception: its schema describes what the
domain checks, which names the exact key at fault. What JSON Schema cannot say (how deep a JSON value goes, a
phone its region can read) stays in the domain and is written in the field's or the endpoint's description.

Text patterns are anchored (JSON Schema's ``pattern`` is not) and ECMA-262 compatible (the dialect OpenAPI
tools use): character classes only, no lookaround, and whitespace spelled out (``WHITESPACE``), since the engines
disagree on ``\\s``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Union

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

from schema.core.enums import CustomerSortField, SortDirection
from schema.core.scalars import DATETIME_FORMAT, DATETIME_RANGE, DateTimeOutOfRange, parse_datetime
from storegraph.platform.countries import COUNTRY_CODES
from storegraph.platform.ids import MAX_ID
from storegraph.platform.money import MAX_MONEY
from storegraph.platform.validation import (
    CONTROL_CHARACTERS,
    EMAIL_PATTERN,
    MAX_JSON_INT,
    MIN_JSON_INT,
    WHITESPACE,
    WILAYAS,
)
from storegraph.rules.catalog.landing_pages import SLUG
from storegraph.rules.catalog.products import MAX_STOCK
from storegraph.rules.customers.tags import MAX_TAG, MAX_TAGS
from storegraph.rules.tracking.validation import EVENT_NAME

_ANY_TEXT = f"[^{CONTROL_CHARACTERS}]*"
_SCHEME = "[Hh][Tt][Tt][Pp][Ss]?://"


@dataclass(frozen=True, slots=True)
class TextRule:
    """A pattern some text fields must match, and how a value that does not reads to the client."""

    pattern: str
    code: str
    # Completes a sentence that starts with the field's name.
    problem: str
    # What the text is, in a few words (docs/rest.md's tables).
    summary: str
    # Said instead when the value is only whitespace (or empty), with code ``blank``.
    blank: str | None = None

    def refusal(self, value: object) -> tuple[str, str]:
        """The detail's code and sentence for ``value``, which does not match."""
        if self.blank is not None and isinstance(value, str) and not value.strip():
            return "blank", self.blank
        return self.code, self.problem


_CONTROL_PROBLEM = "must not hold control characters (tab, newline and carriage return are fine)"
# Any text without a control character.
PLAIN_TEXT = TextRule(f"^{_ANY_TEXT}$", "invalid", _CONTROL_PROBLEM, "text")
# Text with at least one character that is not whitespace (the domain trims it and needs something left).
NOT_BLANK = TextRule(
    rf"^{_ANY_TEXT}[^{WHITESPACE}{CONTROL_CHARACTERS}]{_ANY_TEXT}$",
    "invalid",
    _CONTROL_PROBLEM,
    "text, not blank",
    blank="must not be blank",
)
# An email address (surrounding whitespace is trimmed), or nothing: blank is the same as leaving it out.
EMAIL = TextRule(
    rf"^[{WHITESPACE}]*{EMAIL_PATTERN}[{WHITESPACE}]*$",
    "invalid_email",
    "must be an email address such as amina@example.dz",
    "email address",
)
EMAIL_OR_BLANK = TextRule(
    rf"^[{WHITESPACE}]*(?:{EMAIL_PATTERN})?[{WHITESPACE}]*$",
    "invalid_email",
    "must be an email address such as amina@example.dz",
    "email address, or blank",
)
LANDING_PAGE_SLUG = TextRule(
    SLUG.pattern,
    "invalid",
    "must be lowercase letters and digits, with single dashes between them (summer-sale)",
    "slug: `a-z`, `0-9` and single dashes between them",
)
TRACKED_EVENT_NAME = TextRule(
    f"^{EVENT_NAME.pattern}$",
    "invalid",
    "must be 1 to 64 of a-z 0-9 _ . : - starting with a letter (page_view)",
    f"event name `{EVENT_NAME.pattern}`",
)
# A host between brackets is an IPv6 address, in hexadecimal groups (urlsplit refuses a bracket anywhere else in
# the authority, and an address it cannot read between them).
_H = "[0-9A-Fa-f]{1,4}"
_IPV6 = (
    rf"\[(?:(?:{_H}:){{7}}{_H}|(?:{_H}:){{1,7}}:|(?:{_H}:){{1,6}}:{_H}|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}"
    rf"|(?:{_H}:){{1,4}}(?::{_H}){{1,3}}|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}"
    rf"|{_H}:(?::{_H}){{1,6}}|:(?:(?::{_H}){{1,7}}|:))\]"
)
_HOST = rf"(?:[^{WHITESPACE}/?#@:\[\]{CONTROL_CHARACTERS}]+|{_IPV6})"
# A port, when there is one, is a number up to 65535 (leading zeros and an empty one are read too).
_PORT = "(?::0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])?)?"
# An http(s) URL with a host (and perhaps credentials and a port), without whitespace.
HTTP_URL = TextRule(
    rf"^{_SCHEME}(?:[^{WHITESPACE}/?#@\[\]{CONTROL_CHARACTERS}]*@)?{_HOST}{_PORT}"
    rf"(?:[/?#][^{WHITESPACE}{CONTROL_CHARACTERS}]*)?$",
    "invalid",
    "must be an http or https URL with a host and no spaces, such as https://erp.example.com/hooks",
    "http(s) URL",
)
# An origin as browsers send it in ``Origin``: scheme, host (ASCII, labels of RFC 3986's name characters: an
# international name in its xn-- form) and port, nothing after (a trailing slash is tolerated).
_LABEL = r"[A-Za-z0-9!$&'()*+,;=_~%-]{1,63}"
HTTP_ORIGIN = TextRule(
    rf"^{_SCHEME}(?:{_LABEL}(?:\.{_LABEL})*\.?|{_IPV6}){_PORT}/?$",
    "invalid",
    "must be an origin: scheme and host (and port), such as https://shop.example",
    "http(s) origin",
)
# A customer tag: something besides whitespace, no comma (the list's ``tag`` parameter separates tags with commas).
_TAG_TEXT = f"[^,{CONTROL_CHARACTERS}]*"
CUSTOMER_TAG = TextRule(
    rf"^{_TAG_TEXT}[^,{WHITESPACE}{CONTROL_CHARACTERS}]{_TAG_TEXT}$",
    "invalid",
    "must not be blank or hold a comma or control characters",
    "tag: text, not blank, without commas",
    blank="must not be blank",
)
TEXT_RULES: dict[str, TextRule] = {
    rule.pattern: rule
    for rule in (
        PLAIN_TEXT,
        NOT_BLANK,
        EMAIL,
        EMAIL_OR_BLANK,
        LANDING_PAGE_SLUG,
        TRACKED_EVENT_NAME,
        HTTP_URL,
        HTTP_ORIGIN,
        CUSTOMER_TAG,
    )
}


def text(max_length: int | None, rule: TextRule = PLAIN_TEXT) -> Any:
    """The constraints of a string (``Annotated[str, text(100)]``): at most ``max_length`` characters (``None``:
    the pattern bounds it) matching ``rule``; ``NOT_BLANK`` says ``minLength: 1`` too, which reads better than its
    pattern."""
    return Field(min_length=1 if rule is NOT_BLANK else None, max_length=max_length, pattern=rule.pattern)


# --- free-form JSON ----------------------------------------------------------------------------------------------

# What the domain keeps of a client's JSON (storegraph/platform/validation.py, ``Problems.json_value``), as JSON
# Schema: text without control characters and numbers in the signed 64-bit range. The schema states it for the
# top level of each value only, and the description for every level: a schema that names itself (the exact rule,
# at any depth) is one that client generators cannot read (openapi-python-client drops every operation that uses
# it), and how deep and how large a value may be JSON Schema cannot count anyway. The domain checks every level,
# naming the exact key at fault.
JSON_KEYS: dict[str, Any] = {"propertyNames": {"pattern": PLAIN_TEXT.pattern}}
JsonValue: Any = TypeAliasType(
    "JsonValue",
    Annotated[
        Union[  # noqa: UP007 - a union of annotated members reads clearest spelled out
            bool,
            Annotated[float, Field(ge=MIN_JSON_INT, le=MAX_JSON_INT)],
            Annotated[str, Field(pattern=PLAIN_TEXT.pattern)],
            list[Any],
            Annotated[dict[str, Any], Field(json_schema_extra=JSON_KEYS)],
            None,
        ],
        Field(
            description="Any JSON value the API keeps as sent: strings and keys without control characters, numbers in "
            "the signed 64-bit range, at every level."
        ),
    ],
)


def _as_sent(value: object) -> object:
    return value


def _json_object(value: object) -> object:
    if not isinstance(value, dict):
        raise PydanticCustomError("dict_type", "not an object")
    return value


FreeJsonValue = Annotated[Any, PlainValidator(_as_sent, json_schema_input_type=JsonValue)]
FreeJsonObject = Annotated[
    dict[str, Any],
    PlainValidator(
        _json_object,
        json_schema_input_type=Annotated[dict[str, JsonValue], Field(json_schema_extra=JSON_KEYS)],
    ),
]


# --- numbers -----------------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"-?[0-9]+")


def _whole_number(value: object) -> object:
    """A JSON number without a fraction (``1500.0``, which some encoders write) as the integer it is, as JSON
    Schema's ``integer`` counts it; a query string's value only as decimal digits (``limit=20``, not ``20.0``,
    ``2_0`` or `` 20``), as an OpenAPI client writes an integer. Everything else goes on to pydantic's own check,
    which refuses a fraction, a string in a body and a boolean."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise PydanticCustomError("int_parsing", "not an integer")
    return value


# After the bounds in an ``Annotated``: pydantic then checks them on the integer, and publishes them.
WHOLE_NUMBER = BeforeValidator(_whole_number)
Money = Annotated[
    int,
    Field(ge=0, le=MAX_MONEY, description="A whole amount of the store's currency (DZD): 1500 is 1500 DZD."),
    WHOLE_NUMBER,
]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK), WHOLE_NUMBER]
Id = Annotated[int, Field(ge=1, le=MAX_ID), WHOLE_NUMBER]


def _country_code(value: str) -> str:
    if value not in COUNTRY_CODES:
        raise PydanticCustomError("country_code", "not an ISO 3166-1 alpha-2 code")
    return value


# An ISO 3166-1 alpha-2 code in upper case, as the domain stores it (GraphQL also reads ``dz``).
Country = Annotated[
    str,
    AfterValidator(_country_code),
    WithJsonSchema({"type": "string", "title": "ISO 3166-1 alpha-2 code", "enum": list(COUNTRY_CODES)}),
]
Wilaya = Annotated[int, Field(ge=1, le=WILAYAS, description=f"Algerian wilaya, 1–{WILAYAS}."), WHOLE_NUMBER]


# --- times -------------------------------------------------------------------------------------------------------

# A calendar date in ISO 8601's extended form opens both accepted spellings of a time; a bare number (``0``,
# ``0.5``, ``1700000000``) is not read as a Unix timestamp.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def starts_with_day(value: str) -> bool:
    """Whether ``value`` opens with a calendar date, as every time a body may hold does."""
    return _DAY.match(value) is not None


def _moment(value: object) -> str:
    """A time as the GraphQL ``DateTime`` scalar reads it (its own parser), unchanged: the scalar converts it."""
    if not isinstance(value, str) or not starts_with_day(value):
        raise PydanticCustomError("datetime_format", DATETIME_FORMAT)
    try:
        parse_datetime(value)
    except DateTimeOutOfRange:
        raise PydanticCustomError("datetime_range", DATETIME_RANGE) from None
    except ValueError:
        raise PydanticCustomError("datetime_format", DATETIME_FORMAT) from None
    return value


def _day(value: object) -> str:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise PydanticCustomError("date_format", "not a date")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_format", "not a date") from None
    return value


# ``format: date-time`` (RFC 3339) is the spelling to send; ``2026-04-30 14:22:10`` (UTC) is read too.
Moment = Annotated[str, PlainValidator(_moment), WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[str, PlainValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]


# --- lists as one query parameter ----------------------------------------------------------------------------------


def _tags(value: str) -> list[str]:
    """``vip, wholesale`` → ``["vip", "wholesale"]``: a tag holds no comma, so one parameter carries several (a
    repeated parameter is refused for every list, see rest_compat/handler.py)."""
    return [tag.strip() for tag in value.split(",") if tag.strip()]


def _sort(value: str) -> dict[str, str]:
    field, _, direction = value.partition(":")
    return {"field": field, "direction": direction or SortDirection.DESC.value}


TagList = Annotated[
    str,
    Field(
        max_length=MAX_TAGS * (MAX_TAG + 2),
        pattern=f"^{_TAG_TEXT}(?:,{_TAG_TEXT}){{0,{MAX_TAGS - 1}}}$",
        description=f"At most {MAX_TAGS} tags.",
    ),
    PlainSerializer(_tags, return_type=list[str]),
]
_SORT_FIELDS = "|".join(field.value for field in CustomerSortField)
_DIRECTIONS = "|".join(direction.value for direction in SortDirection)
CustomerSortParameter = Annotated[
    str,
    Field(pattern=f"^(?:{_SORT_FIELDS})(?::(?:{_DIRECTIONS}))?$"),
    PlainSerializer(_sort, return_type=dict[str, str]),
]

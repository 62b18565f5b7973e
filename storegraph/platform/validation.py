"""Input checks that collect every problem at once, so a client fixes all of them in one round trip."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from storegraph.platform.errors import ErrorDetail, ValidationFailed
from storegraph.platform.money import MAX_MONEY, is_money
from storegraph.platform.phones import normalize_phone

# A partial update's "leave this field as it is" (PATCH), apart from ``None``, which clears a nullable field.
UNSET: Any = object()

MAX_JSON_BYTES = 16_384
# Deep enough for any settings or metadata a merchant writes by hand; a bound so that walking, storing and
# serialising a client's object can never hit a recursion limit.
MAX_JSON_DEPTH = 10
# JSON integers the database, orjson and every client parse exactly: the signed 64-bit range. Floats are held to
# the same range: PostgreSQL keeps a JSON number as ``numeric`` and writes it back without an exponent, so ``1e308``
# returns as a 309-digit integer that no later read can dump.
MIN_JSON_INT, MAX_JSON_INT = -(2**63), 2**63 - 1
# C0 control characters other than tab, newline and carriage return, as the inside of a regular expression's
# character class (the REST request schemas use it too). PostgreSQL refuses NUL in text and JSON (a 500 instead
# of an answer), and the others are never part of a name, a note or a search.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f"
_CONTROL_CHARACTERS = re.compile(f"[{CONTROL_CHARACTERS}]")
# Whitespace as str.isspace() and str.strip() read it, as the inside of a character class: a pattern the REST
# request schemas publish is read by the clients' engines (ECMA-262) and enforced by pydantic's (Rust), which
# disagree with Python's and each other on ``\s`` (U+0085 is whitespace to Python and Rust, not to ECMA-262; U+FEFF
# to ECMA-262 only), so a pattern names the characters instead.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Deliberately simple: one @, no spaces or control characters, a dot in the domain. Deliverability is the mail
# server's business.
_EMAIL_PART = f"[^@{WHITESPACE}{CONTROL_CHARACTERS}]"
EMAIL_PATTERN = rf"{_EMAIL_PART}{{1,64}}@{_EMAIL_PART}+\.{_EMAIL_PART}+"
_EMAIL = re.compile(EMAIL_PATTERN)
MAX_EMAIL = 254


def has_control_characters(value: str) -> bool:
    """True when ``value`` holds a C0 control character other than tab, newline or carriage return."""
    return _CONTROL_CHARACTERS.search(value) is not None


def _control_characters_message(what: str) -> str:
    return f"{what}: control characters are not allowed (tab, newline and carriage return are)"


class Problems:
    def __init__(self) -> None:
        self.details: list[ErrorDetail] = []

    def add(self, field: str, code: str, message: str) -> None:
        self.details.append(ErrorDetail(field=field, code=code, message=message))

    def raise_if_any(self) -> None:
        if self.details:
            raise ValidationFailed(self.details[0].message, details=list(self.details))

    def text(self, field: str, value: str | None, *, max_length: int, required: bool = False) -> str | None:
        """The stripped text, or ``None``; records blank/too-long problems."""
        if value is None or not value.strip():
            if required:
                self.add(field, "blank", f"{field} is required")
            return None
        stripped = value.strip()
        if len(stripped) > max_length:
            self.add(field, "too_long", f"{field} must be at most {max_length} characters")
        self.plain_text(field, stripped)
        return stripped

    def plain_text(self, field: str, value: str | None) -> None:
        """Records ``invalid`` when ``value`` holds a control character (tab, newline and CR are fine)."""
        if value is not None and has_control_characters(value):
            self.add(field, "invalid", _control_characters_message(field))

    def phone(self, field: str, value: str, region: str) -> str | None:
        normalized = normalize_phone(value, region)
        if normalized is None:
            self.add(field, "invalid_phone", f"{field} is not a valid phone number")
        return normalized

    def email(self, field: str, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        stripped = value.strip()
        if len(stripped) > MAX_EMAIL or not _EMAIL.fullmatch(stripped):
            self.add(field, "invalid_email", f"{field} is not a valid email address")
        return stripped

    def integer_range(self, field: str, value: int | None, *, minimum: int, maximum: int | None = None) -> None:
        if value is None:
            return
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self.add(field, "out_of_range", f"{field} must be {bound}")

    def money(self, field: str, value: object) -> None:
        """Records a value that is not an integer amount between 0 and ``MAX_MONEY`` (see
        storegraph/platform/money.py)."""
        if is_money(value):
            return
        if isinstance(value, int) and not isinstance(value, bool):
            self.add(field, "out_of_range", f"{field} must be between 0 and {MAX_MONEY}")
        else:
            self.add(field, "invalid", f"{field} must be a whole amount of the store's currency")

    def json_object(self, field: str, value: Mapping[str, Any] | None) -> None:
        """Records the first problem of a client's JSON object: its values (see ``json_value``), then its size."""
        if value is None:
            return
        # The walk that names a problem's field runs only when the quick one is unsure: for the objects clients
        # send (tracked events' properties, metadata) it would cost several calls per value.
        valid = plainly_valid_json(value) or self.json_value(field, value, depth=1)
        if valid and len(orjson.dumps(value)) > MAX_JSON_BYTES:
            self.add(field, "too_large", f"{field} must serialise to at most {MAX_JSON_BYTES} bytes of JSON")

    def json_value(self, field: str, value: Any, *, depth: int) -> bool:
        """Whether ``value`` is JSON the database and orjson store and give back exactly; else records why.

        A GraphQL literal can carry what a JSON body cannot (an integer of any size, ``1e999`` as infinity), so
        the check does not rely on how the value arrived. It stops at the first problem: one clear userError.
        """
        if isinstance(value, str):
            return self._json_text(field, value)
        if value is None or isinstance(value, bool):
            return True
        if isinstance(value, int):
            return self._json_integer(field, value)
        if isinstance(value, float):
            return self._json_float(field, value)
        if isinstance(value, Mapping | list):
            return self._json_container(field, value, depth=depth)
        self.add(field, "invalid", f"{field} must be a JSON value")
        return False

    def _json_container(self, field: str, value: Mapping[str, Any] | list[Any], *, depth: int) -> bool:
        if depth > MAX_JSON_DEPTH:
            self.add(field, "too_deep", f"{field} must be nested at most {MAX_JSON_DEPTH} levels deep")
            return False
        if isinstance(value, list):
            items = [(f"{field}[{index}]", item) for index, item in enumerate(value)]
        else:
            items = []
            for key, item in value.items():
                if not isinstance(key, str) or has_control_characters(key):
                    self.add(field, "invalid", _control_characters_message(f"{field} keys"))
                    return False
                items.append((f"{field}.{key}", item))
        return all(self.json_value(path, item, depth=depth + 1) for path, item in items)

    def _json_text(self, field: str, value: str) -> bool:
        if has_control_characters(value):
            self.add(field, "invalid", _control_characters_message(field))
            return False
        return True

    def _json_integer(self, field: str, value: int) -> bool:
        if not MIN_JSON_INT <= value <= MAX_JSON_INT:
            self.add(field, "out_of_range", f"{field} must be between {MIN_JSON_INT} and {MAX_JSON_INT}")
            return False
        return True

    def _json_float(self, field: str, value: float) -> bool:
        if not math.isfinite(value):
            self.add(field, "invalid", f"{field} must be a finite number")
            return False
        # Python compares a float with an int exactly: 2.0**63 is refused, the largest double below it is kept.
        if not MIN_JSON_INT <= value <= MAX_JSON_INT:
            self.add(field, "out_of_range", f"{field} must be between {MIN_JSON_INT} and {MAX_JSON_INT}")
            return False
        return True


def plainly_valid_json(value: object) -> bool:
    """``True`` only when ``Problems.json_value`` would find nothing wrong with ``value`` (a dict or a list), checked
    in one pass without naming fields: ``False`` means "unsure" (a problem, or a type other than the plain JSON
    ones, such as a ``Mapping`` that is not a dict), and the naming walk decides."""
    texts: list[str] = []
    containers: list[tuple[Any, int]] = [(value, 1)]
    while containers:
        container, depth = containers.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        if type(container) is dict:
            for key in container:
                if type(key) is not str:
                    return False
            texts.extend(container)
            items: Iterable[Any] = container.values()
        elif type(container) is list:
            items = container
        else:
            return False
        for item in items:
            kind = type(item)
            if kind is str:
                texts.append(item)
            elif kind is int or kind is float:
                # A float outside the range, infinite or NaN fails the comparison, as json_value refuses it.
                if not MIN_JSON_INT <= item <= MAX_JSON_INT:
                    return False
            elif kind is dict or kind is list:
                containers.append((item, depth + 1))
            elif item is not None and kind is not bool:
                return False
    # One search over every key and string at once: a control character in the joined text is in one of them.
    return _CONTROL_CHARACTERS.search("".join(texts)) is None


# Algeria's wilayas are numbered 1 to WILAYAS.
WILAYAS = 58


def check_wilaya(problems: Problems, field: str, wilaya_id: int | None) -> None:
    problems.integer_range(field, wilaya_id, minimum=1, maximum=WILAYAS)

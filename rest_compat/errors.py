"""One table from GraphQL's answers to REST errors: the code's HTTP status, and how userErrors become one error.

GraphQL reports a refused operation in ``errors[].extensions.code`` and a refused mutation in ``userErrors``;
REST answers one error in the envelope with the API's code and status. Validation problems (pydantic's, or
the domain's userErrors) become ``validation_error`` with every problem in ``details[]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from rest_compat.input_types import TEXT_RULES
from rest_compat.names import RestNames
from schema.core.scalars import DATETIME_FORMAT, DATETIME_RANGE
from storegraph.platform.error_codes import CODES
from storegraph.platform.errors import ApiError, ErrorDetail, ValidationFailed

# userError codes that are answers of their own; every other code is a validation problem (blank, too_long, ...).
OWN_CODES = frozenset(CODES) - {"validation_error"}

# Every pydantic error a request model can raise, as the detail a client reads: its code (the one the domain uses
# for the same problem) and the rest of a sentence that starts with the field's name. ``{...}`` are the error's
# context. A type this table does not know is still worded here, never in pydantic's words.
_PYDANTIC: dict[str, tuple[str, str]] = {
    "missing": ("blank", "is required"),
    "extra_forbidden": ("unknown_field", "is not {known}"),
    "greater_than_equal": ("out_of_range", "must be at least {ge}"),
    "less_than_equal": ("out_of_range", "must be at most {le}"),
    "string_too_short": ("blank", "must not be empty"),
    "string_too_long": ("too_long", "must be at most {max_length} characters"),
    "too_short": ("blank", "must hold at least {min_length} item(s)"),
    "too_long": ("too_long", "may hold at most {max_length} items"),
    "enum": ("invalid_choice", "must be one of {choices}"),
    "literal_error": ("invalid_choice", "must be one of {choices}"),
    "int_type": ("invalid_type", "must be a whole number, such as 20"),
    "int_parsing": ("invalid_type", "must be a whole number written in digits, such as 20"),
    "int_from_float": ("invalid_type", "must be a whole number, such as 20"),
    "string_type": ("invalid_type", "must be a string"),
    "bool_type": ("invalid_type", "must be true or false"),
    "bool_parsing": ("invalid_type", "must be true or false"),
    "dict_type": ("invalid_type", "must be a JSON object"),
    "model_type": ("invalid_type", "must be a JSON object"),
    "model_attributes_type": ("invalid_type", "must be a JSON object"),
    "list_type": ("invalid_type", "must be a JSON array"),
    "json_invalid": ("invalid_json", "is not valid JSON ({error})"),
    "datetime_format": ("invalid", DATETIME_FORMAT),
    "datetime_range": ("out_of_range", DATETIME_RANGE),
    "date_format": ("invalid", "must be a date such as 2026-04-30 (YYYY-MM-DD)"),
    "country_code": ("invalid", "must be an ISO 3166-1 alpha-2 code in upper case, such as DZ"),
}
_NULL = ("blank", "cannot be null")
_OTHER_TYPE = ("invalid_type", "has the wrong JSON type")
_OTHER = ("invalid", "is not valid here")
_QUOTED = re.compile(r"'([^']*)'")
_KNOWN = {"query": "a query parameter of this endpoint", "body": "a field this endpoint takes"}


class _Context(dict[str, Any]):
    """An error's context for a sentence: a value it lacks reads as nothing rather than failing the answer."""

    def __missing__(self, key: str) -> str:
        return ""


class RestError(ApiError):
    """An error answered as-is: its status is its code's (storegraph/platform/errors.py)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        details: list[ErrorDetail] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.code = code
        self.extra = dict(extra or {})

    @property
    def extensions(self) -> dict[str, Any]:
        return {**super().extensions, **self.extra}


def from_pydantic(error: ValidationError, *, location: str) -> ValidationFailed:
    """pydantic's problems with a request's ``location`` (``query`` or ``body``), each on the field as the client
    sent it, in the words of ``_PYDANTIC``."""
    details = [_detail(problem, location) for problem in error.errors(include_url=False)]
    return ValidationFailed(details[0].message if details else "The request is invalid.", details=details)


def _detail(problem: Mapping[str, Any], location: str) -> ErrorDetail:
    loc = problem.get("loc", ())
    field = ".".join(str(part) for part in loc) or location
    kind = problem.get("type", "")
    context = _Context(problem.get("ctx") or {})
    value = problem.get("input")
    if loc and value is None and kind != "missing":
        code, sentence = _NULL
    elif kind == "string_pattern_mismatch" and context.get("pattern") in TEXT_RULES:
        code, sentence = TEXT_RULES[context["pattern"]].refusal(value)
    else:
        code, sentence = _PYDANTIC.get(kind) or (_OTHER_TYPE if kind.endswith(("_type", "_parsing")) else _OTHER)
    context["known"] = _KNOWN.get(location, "a field this endpoint takes")
    context["choices"] = ", ".join(_QUOTED.findall(str(context.get("expected", ""))))
    return ErrorDetail(field=field, code=code, message=f"{field} {sentence.format_map(context)}")


def from_user_errors(user_errors: Iterable[Mapping[str, Any]], names: RestNames) -> ApiError:
    """A mutation's userErrors as one REST error: the first one with a code of its own (``conflict``,
    ``not_found``, ...) wins, else all of them are the details of one ``validation_error``. Fields are named as
    the client sent them (``names``)."""
    errors = list(user_errors)
    for user_error in errors:
        if user_error["code"] in OWN_CODES:
            field = user_error.get("field")
            message = names.message(field, user_error["message"])
            details = [ErrorDetail(names.field(field), user_error["code"], message)] if field else None
            return RestError(user_error["code"], message, details=details)
    details = [_rest_detail(names, error.get("field"), error["code"], error["message"]) for error in errors]
    return ValidationFailed(details[0].message, details=details)


def from_graphql_errors(
    errors: Sequence[Mapping[str, Any]], names: RestNames, variables: Mapping[str, Any]
) -> ApiError:
    """The first error of a GraphQL response as the REST error (they share codes), naming REST's fields.

    A ``validation_error`` without details is GraphQL refusing a variable: the variables are checked again by
    graphql-core to find which request value it was, so the client reads ``since``, not ``$filter``.
    """
    first = errors[0]
    extensions = first.get("extensions") or {}
    code = extensions.get("code", "internal_error")
    if code == "validation_error":
        raw = extensions.get("details")
        if raw:
            details = [_rest_detail(names, d.get("field"), d["code"], d["message"]) for d in raw]
        else:
            details = names.variable_problems(variables) or [ErrorDetail("body", "invalid", first["message"])]
        return ValidationFailed(details[0].message, details=details)
    extra = {"retry_after": extensions["retry_after"]} if "retry_after" in extensions else None
    return RestError(code, names.mentions(first["message"]), extra=extra)


def _rest_detail(names: RestNames, field: str | None, code: str, message: str) -> ErrorDetail:
    if not field:
        return ErrorDetail("body", code, names.mentions(message))
    return ErrorDetail(names.field(field), code, names.message(field, message))

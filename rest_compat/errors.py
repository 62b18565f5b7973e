"""One table from GraphQL's answers to REST errors: the code's HTTP status, and how userErrors become one error.

GraphQL reports a refused operation in ``errors[].extensions.code`` and a refused mutation in ``userErrors``;
REST answers one error in the envelope with the API's code and status. Validation problems (pydantic's, or
the domain's userErrors) become ``validation_error`` with every problem in ``details[]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from rest_compat.names import RestNames
from storegraph.platform.error_codes import CODES
from storegraph.platform.errors import ApiError, ErrorDetail, ValidationFailed

# userError codes that are answers of their own; every other code is a validation problem (blank, too_long, ...).
OWN_CODES = frozenset(CODES) - {"validation_error"}

# pydantic's error types → the validation codes the domain uses for the same problems.
_PYDANTIC_CODES = {
    "missing": "blank",
    "extra_forbidden": "unknown_field",
    "greater_than_equal": "out_of_range",
    "less_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than": "out_of_range",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "string_pattern_mismatch": "invalid",
    "enum": "invalid_choice",
    "literal_error": "invalid_choice",
    "json_invalid": "invalid_json",
}


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


def from_pydantic(error: ValidationError, *, location: str | None = None) -> ValidationFailed:
    details = [
        _detail(problem.get("loc", ()), problem.get("type", "invalid"), problem.get("msg", "is invalid"), location)
        for problem in error.errors(include_url=False, include_input=False)
    ]
    return ValidationFailed(details[0].message if details else "The request is invalid.", details=details)


def _detail(loc: Sequence[Any], kind: str, message: str, location: str | None) -> ErrorDetail:
    field = ".".join(str(part) for part in loc) or (location or "body")
    code = _PYDANTIC_CODES.get(kind) or ("invalid_type" if kind.endswith(("_type", "_parsing")) else "invalid")
    return ErrorDetail(field=field, code=code, message=f"{field}: {message[0].lower()}{message[1:]}")


def from_user_errors(user_errors: Iterable[Mapping[str, Any]], names: RestNames) -> ApiError:
    """A mutation's userErrors as one REST error: the first one with a code of its own (``conflict``,
    ``not_found``, ...) wins, else all of them are the details of one ``validation_error``. Fields are named as
    the client sent them (``names``)."""
    errors = list(user_errors)
    for user_error in errors:
        if user_error["code"] in OWN_CODES:
            field = user_error.get("field")
            message = names.message(field, user_error["message"]) if field else user_error["message"]
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
    return RestError(code, first["message"], extra=extra)


def _rest_detail(names: RestNames, field: str | None, code: str, message: str) -> ErrorDetail:
    if not field:
        return ErrorDetail("body", code, message)
    return ErrorDetail(names.field(field), code, names.message(field, message))

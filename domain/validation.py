"""Input checks that collect every problem at once, so a client fixes all of them in one round trip."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from domain.errors import ErrorDetail, ValidationFailed
from domain.phones import normalize_phone

# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is the mail server's business.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_JSON_BYTES = 16_384


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
        return stripped

    def phone(self, field: str, value: str, region: str) -> str | None:
        normalized = normalize_phone(value, region)
        if normalized is None:
            self.add(field, "invalid_phone", f"{field} is not a valid phone number")
        return normalized

    def email(self, field: str, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        stripped = value.strip()
        if len(stripped) > 254 or not _EMAIL.match(stripped):
            self.add(field, "invalid_email", f"{field} is not a valid email address")
        return stripped

    def integer_range(self, field: str, value: int | None, *, minimum: int, maximum: int | None = None) -> None:
        if value is None:
            return
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self.add(field, "out_of_range", f"{field} must be {bound}")

    def json_object(self, field: str, value: Mapping[str, Any] | None) -> None:
        if value is None:
            return
        if len(orjson.dumps(value)) > MAX_JSON_BYTES:
            self.add(field, "too_large", f"{field} must serialise to at most {MAX_JSON_BYTES} bytes of JSON")


def check_wilaya(problems: Problems, field: str, wilaya_id: int | None) -> None:
    problems.integer_range(field, wilaya_id, minimum=1, maximum=58)

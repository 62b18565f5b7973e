"""What the /v1 tests send and read back: a write's headers, the envelope's data and its error."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.factories import Key


def writing(key: Key) -> dict[str, str]:
    """The key's headers with a fresh Idempotency-Key: each call is a new write."""
    return {**key.headers, "Idempotency-Key": str(uuid.uuid4())}


def data_of(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error

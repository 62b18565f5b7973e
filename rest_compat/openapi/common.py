"""What every part of the OpenAPI document shares: its JSON type, media type, security schemes, scalars, status texts
and the error codes /v1 can answer."""

from __future__ import annotations

from typing import Any, TypeAlias

from rest_compat.endpoint import Endpoint
from storegraph.platform.auth.signed_paths import is_signed_request
from storegraph.platform.error_codes import CODES
from storegraph.platform.idempotency.keys import MAX_KEY_LENGTH

JsonObject: TypeAlias = dict[str, Any]


OPENAPI_VERSION = "3.1.0"


TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"


# storegraph/platform/idempotency/keys.py's rule (1 to 255 printable ASCII characters) as a JSON Schema.
IDEMPOTENCY_KEY_SCHEMA: JsonObject = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_KEY_LENGTH,
    "pattern": "^[ -~]+$",
}


SECURITY_SCHEME = "bearerAuth"


# The signed tracking endpoints (storegraph/platform/auth/signed_paths.py) take a public key and a signature instead of
# a Bearer key.
PUBLIC_KEY_SCHEME = "publicKey"


# storegraph/platform/auth/request_signature.py's rules for the two headers that come with X-DZ-Key.
SIGNED_HEADERS: dict[str, JsonObject] = {
    "X-DZ-Timestamp": {
        "description": "The unix time in seconds when the request was signed; at most 5 minutes from the server's.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
    },
    "X-DZ-Signature": {
        "description": '`hex(hmac_sha256(signing_secret, timestamp + "." + hex(sha256(raw_body))))`; each '
        "signature is accepted once.",
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
    },
}


MEDIA_TYPE = "application/json"


# GraphQL scalars → the JSON Schema of their REST value (rest_compat/shapes.py converts ID and DateTime).
SCALARS: dict[str, JsonObject] = {
    "ID": {"type": "integer", "minimum": 1},
    "DateTime": {"type": "string", "pattern": TIMESTAMP_PATTERN},
    "Date": {"type": "string", "format": "date"},
    "Money": {"type": "integer"},
    "Int": {"type": "integer"},
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "String": {"type": "string"},
    "JSON": {"type": "object"},
}


# A REST request is limited per request by the plan and never charged query cost (the handler runs its operation
# with ``charge_cost=False``), so the query-cost bucket's refusal cannot reach /v1. Its operations are the table's
# own documents, far under the document limits, and its bodies are read as JSON whatever their Content-Type.
GRAPHQL_ONLY_CODES = frozenset(
    {
        "throttled",
        "query_too_large",
        "unsupported_media_type",
        "PERSISTED_QUERY_NOT_FOUND",
        "PERSISTED_QUERY_HASH_MISMATCH",
    }
)


STATUS_TEXT = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Payload too large",
    422: "Unprocessable request",
    429: "Too many requests",
    431: "Request header fields too large",
    500: "Internal error",
    503: "Overloaded",
}


def rest_error_codes() -> dict[int, tuple[str, ...]]:
    """Every error code /v1 can answer, by HTTP status (the one table of codes, less the GraphQL-only ones)."""
    by_status: dict[int, list[str]] = {}
    for code, error_code in CODES.items():
        if code not in GRAPHQL_ONLY_CODES:
            by_status.setdefault(error_code.status, []).append(code)
    return {status: tuple(sorted(codes)) for status, codes in sorted(by_status.items())}


class DocumentError(Exception):
    """The table, a model or an example does not fit the document: a bug, raised when the document is built."""


class Components:
    """``components.schemas``, filled as operations need them; one name must always mean one schema."""

    def __init__(self) -> None:
        self.schemas: dict[str, JsonObject] = {}
        self.fragments: set[str] = set()

    def add(self, name: str, schema: JsonObject) -> JsonObject:
        if self.schemas.setdefault(name, schema) != schema:
            raise DocumentError(f"two different schemas are named {name}")
        return ref(name)


def ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def is_signed(row: Endpoint) -> bool:
    """A signed tracking endpoint: a public key and a signature instead of a Bearer key, no Idempotency-Key."""
    return is_signed_request(row.method, row.path)


def error_statuses(row: Endpoint) -> list[int]:
    """The error statuses an endpoint can answer, by what it takes (see ``rest_error_codes`` for the codes)."""
    # Any request: two Authorization headers (400; lists add invalid_cursor, writes the Idempotency-Key codes), no
    # key, an unexpected query string or body, limits, too many headers, a bug, more load than the process's pools;
    # and another method on the same path (405), since no path takes every HTTP method (none takes PUT).
    statuses = {400, 401, 405, 422, 429, 431, 500, 503}
    if row.scope is not None:
        statuses.add(403)
    if row.path_vars or (row.body is not None and any(name.endswith("_id") for name in row.body.model_fields)):
        statuses.add(404)  # an unknown id in the path, or one the body refers to
    if row.is_write:
        # conflict and idempotency_key_in_use (409), the body's limits in time (408) and size (413)
        statuses.update({408, 409, 413})
    return sorted(statuses)

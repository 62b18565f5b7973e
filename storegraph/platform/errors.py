"""Expected errors with the API's stable codes, and the one table of those codes: each code's HTTP status (REST),
whether a mutation reports it in ``userErrors``, and when it happens (docs/errors.md is generated from it).
GraphQL puts ``code`` in ``extensions.code``; REST answers the code's status. Anything that is not an ``ApiError``
is masked as ``internal_error``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorCode:
    status: int
    # Markdown, for docs/errors.md.
    when: str
    # A mutation reports it in userErrors (and rolls back what it wrote) instead of failing the field.
    user_error: bool = False


CODES: dict[str, ErrorCode] = {
    "unauthorized": ErrorCode(
        401,
        "missing, malformed, unknown or revoked key; on the signed tracking endpoints also a bad "
        "`X-DZ-Signature`, an `X-DZ-Timestamp` more than 300 s from the server's clock, or a signature "
        "already used ([tracking.md](tracking.md))",
    ),
    "origin_not_allowed": ErrorCode(
        403,
        "a browser request (it has an `Origin` header) to `POST /v1/signups` or `POST /v1/events` from an "
        "origin the public key does not list; nothing ran",
    ),
    "insufficient_scope": ErrorCode(
        403,
        "the key lacks the scope the field or endpoint needs; the message names it",
        user_error=True,
    ),
    "not_found": ErrorCode(
        404,
        "unknown id, or an id of another store (never revealed to exist)",
        user_error=True,
    ),
    "validation_error": ErrorCode(
        422,
        "a bad argument (`details[]` has `{field, code, message}`), or a GraphQL document that does not parse"
        " or validate",
        user_error=True,
    ),
    "invalid_cursor": ErrorCode(
        400,
        "a cursor that was altered, truncated, or made for another list, ordering or store",
    ),
    "conflict": ErrorCode(
        409,
        "a unique field is taken (a SKU in the store)",
        user_error=True,
    ),
    "invalid_status_transition": ErrorCode(
        422,
        "a status step the order machine does not allow (e.g. delivered → pending)",
        user_error=True,
    ),
    "customer_banned": ErrorCode(
        422,
        "an order for a banned customer; nothing is written",
        user_error=True,
    ),
    "insufficient_stock": ErrorCode(
        422,
        "a tracked product has fewer units than the line asks for",
        user_error=True,
    ),
    "payload_too_large": ErrorCode(
        413,
        "a request body over `MAX_BODY_BYTES` (default 1 MiB)",
    ),
    "query_too_costly": ErrorCode(
        400,
        "a GraphQL operation whose calculated cost is over `MAX_QUERY_COST` (default 1000); `extensions` has "
        "`cost` and `max_cost`; nothing ran ([cost.md](cost.md))",
    ),
    "query_too_deep": ErrorCode(
        400,
        "a GraphQL operation nested deeper than `MAX_QUERY_DEPTH` (default 12); `extensions` has `depth` and "
        "`max_depth`; nothing ran",
    ),
    "throttled": ErrorCode(
        429,
        "the key's query-cost bucket holds less than the operation's cost; `extensions` has `requested_cost` "
        "and `retry_after` (seconds); nothing ran",
    ),
    "idempotency_key_required": ErrorCode(
        400,
        "a `/v1` POST, PUT, PATCH or DELETE without an `Idempotency-Key` header; nothing ran "
        "([idempotency.md](idempotency.md))",
    ),
    "idempotency_key_invalid": ErrorCode(
        400,
        "an `Idempotency-Key` that is empty, over 255 characters, not printable ASCII, or sent twice; nothing ran",
    ),
    "idempotency_key_reused": ErrorCode(
        422,
        "the `Idempotency-Key` was first used for a different request (method, path, query string or body); "
        "nothing ran",
    ),
    "idempotency_key_in_use": ErrorCode(
        409,
        "the first request with this `Idempotency-Key` is still running; retry later to get its answer",
    ),
    "idempotency_response_unavailable": ErrorCode(
        422,
        "the request with this `Idempotency-Key` already ran, but its answer cannot be replayed: it was over "
        "`IDEMPOTENCY_MAX_RESPONSE_BYTES` and not kept (`original_status` says how the request answered), or its kept "
        "copy no longer opens (`SECRET_KEY` changed since); nothing ran again: look the result up rather than retry",
    ),
    "rate_limited": ErrorCode(
        429,
        "the key made its plan's requests-per-minute in the last 60 seconds; `Retry-After` header and "
        "`retry_after` seconds (`error.retry_after` in REST, `extensions.retry_after` in GraphQL); nothing "
        "ran ([limits.md](limits.md))",
    ),
    "quota_exceeded": ErrorCode(
        429,
        "the store used up its plan's monthly request quota (all its keys draw on one); `Retry-After` and "
        "`retry_after` count the seconds to the next month (UTC); nothing ran",
    ),
    "method_not_allowed": ErrorCode(
        405,
        "REST only: the `/v1` path exists but not with this method; the `Allow` header lists the methods it has",
    ),
    "internal_error": ErrorCode(
        500,
        "anything unexpected; the message carries the request id, the log carries the stack",
    ),
}


def markdown_table() -> str:
    """The table of docs/errors.md: every code, its REST status and when it happens."""
    rows = [f"| `{code}` | {error.status} | {error.when} |" for code, error in CODES.items()]
    return "\n".join(["| code | HTTP (REST) | when |", "|---|---|---|", *rows]) + "\n"


def http_status(code: str) -> int:
    """The REST status of ``code``; a code outside the table is a bug, answered as ``internal_error``."""
    known = CODES.get(code)
    return known.status if known is not None else CODES["internal_error"].status


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class ApiError(Exception):
    code = "internal_error"

    @property
    def http_status(self) -> int:
        return http_status(self.code)

    def __init__(self, message: str, *, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    @property
    def extensions(self) -> dict[str, Any]:
        """Read by graphql-core when it wraps this error into a GraphQLError."""
        extensions: dict[str, Any] = {"code": self.code}
        if self.details:
            extensions["details"] = [detail.as_dict() for detail in self.details]
        return extensions


class Unauthorized(ApiError):
    code = "unauthorized"


class OriginNotAllowed(ApiError):
    """A browser request (it has an ``Origin`` header) to a public-key endpoint from an origin the key does not
    list among its allowed origins; nothing ran."""

    code = "origin_not_allowed"

    def __init__(self) -> None:
        super().__init__("This public key does not accept requests from this origin (see its allowed origins).")


class InsufficientScope(ApiError):
    code = "insufficient_scope"

    def __init__(self, scope: str, *, field: str | None = None) -> None:
        super().__init__(f"This key lacks the '{scope}' scope.")
        self.scope = scope
        # Set when a mutation reports it as a userError about one of its inputs (createApiKey's ``scopes``).
        self.field = field


class NotFound(ApiError):
    code = "not_found"

    def __init__(self, resource: str, resource_id: object, *, field: str = "id") -> None:
        super().__init__(f"{resource} with ID {resource_id} not found")
        self.field = field


class ValidationFailed(ApiError):
    code = "validation_error"

    @classmethod
    def single(cls, field: str, code: str, message: str) -> ValidationFailed:
        return cls(message, details=[ErrorDetail(field=field, code=code, message=message)])


class InvalidCursor(ApiError):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("The cursor is not valid for this list.")


class Conflict(ApiError):
    """A unique value (sku, slug, phone) is already taken in this store."""

    code = "conflict"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, details=[ErrorDetail(field=field, code="taken", message=message)])
        self.field = field


class InvalidStatusTransition(ApiError):
    code = "invalid_status_transition"

    def __init__(self, field: str, current: str, requested: str) -> None:
        super().__init__(f"Cannot change {field} from {current} to {requested}.")
        self.field = field


class CustomerBanned(ApiError):
    code = "customer_banned"

    def __init__(self) -> None:
        super().__init__("This customer is banned from ordering in this store.")


class InsufficientStock(ApiError):
    code = "insufficient_stock"

    def __init__(self, field: str, product_id: int, available: int) -> None:
        super().__init__(f"Product {product_id} has only {available} in stock.")
        self.field = field


class PayloadTooLarge(ApiError):
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")


class QueryTooCostly(ApiError):
    """A GraphQL operation whose calculated cost is over the per-query maximum, refused before it runs."""

    code = "query_too_costly"

    def __init__(self, cost: int, limit: int) -> None:
        super().__init__(
            f"Query cost is {cost}, which exceeds the maximum cost of {limit} for one query. "
            "Ask for smaller pages (first) or fewer nested lists."
        )
        self.cost = cost
        self.limit = limit

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "cost": self.cost, "max_cost": self.limit}


class QueryTooDeep(ApiError):
    """A GraphQL operation nested deeper than the per-query maximum, refused before it runs."""

    code = "query_too_deep"

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"Query depth is {depth}, which exceeds the maximum depth of {limit}.")
        self.depth = depth
        self.limit = limit

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "depth": self.depth, "max_depth": self.limit}


class Throttled(ApiError):
    """The key's query-cost bucket holds less than the operation's requested cost; nothing ran."""

    code = "throttled"

    def __init__(self, requested: int, available: int, retry_after: int) -> None:
        super().__init__(
            f"Throttled: the query costs {requested} and {available} points are available; "
            f"retry in {retry_after} s or ask for less."
        )
        self.requested = requested
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "requested_cost": self.requested, "retry_after": self.retry_after}


class IdempotencyKeyRequired(ApiError):
    """A REST write (POST, PUT, PATCH, DELETE) without an ``Idempotency-Key`` header; nothing ran."""

    code = "idempotency_key_required"

    def __init__(self) -> None:
        super().__init__("This request needs an 'Idempotency-Key' header (any unique string; a UUID v4 is best).")


class IdempotencyKeyInvalid(ApiError):
    """An ``Idempotency-Key`` that is empty, longer than 255 characters or not printable ASCII; nothing ran."""

    code = "idempotency_key_invalid"

    def __init__(self, max_length: int) -> None:
        super().__init__(f"The 'Idempotency-Key' header must be 1 to {max_length} printable ASCII characters.")


class IdempotencyKeyReused(ApiError):
    """The key was first used for another request (method, path, query string or body); nothing ran."""

    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request (method, path or body). "
            "Use a new key for a new request."
        )


class IdempotencyKeyInUse(ApiError):
    """The first request with this key is still running; retry once it has finished to get its answer."""

    code = "idempotency_key_in_use"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed. Retry later to receive its response."
        )


class IdempotencyResponseUnavailable(ApiError):
    """The request with this key ran, but its answer cannot be replayed; nothing ran again (a new key would)."""

    code = "idempotency_response_unavailable"

    def __init__(self, reason: str, *, original_status: int | None = None) -> None:
        super().__init__(
            f"The request with this Idempotency-Key already ran, but {reason}. Look its result up instead of "
            "retrying: a new key would run it again."
        )
        self.original_status = original_status

    @property
    def extensions(self) -> dict[str, Any]:
        if self.original_status is None:
            return {"code": self.code}
        return {"code": self.code, "original_status": self.original_status}


class RateLimited(ApiError):
    """The key used up its plan's requests of the sliding 60-second window; the request did not run."""

    code = "rate_limited"

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"Rate limit of {limit} requests per minute exceeded; retry in {retry_after} s.")
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "retry_after": self.retry_after}


class QuotaExceeded(ApiError):
    """The store used up its plan's monthly request quota (shared by all its keys); the request did not run."""

    code = "quota_exceeded"

    def __init__(self, quota: int, retry_after: int) -> None:
        super().__init__(
            f"The monthly quota of {quota} requests is used up; it renews at the start of next month (UTC)."
        )
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "retry_after": self.retry_after}


def user_error_types() -> tuple[type[ApiError], ...]:
    """The error classes whose code a mutation reports in ``userErrors``."""
    found: list[type[ApiError]] = []
    pending: list[type[ApiError]] = [ApiError]
    while pending:
        error_type = pending.pop()
        if error_type.code in CODES and CODES[error_type.code].user_error and error_type not in found:
            found.append(error_type)
        pending.extend(error_type.__subclasses__())
    return tuple(found)

"""Expected errors with the API's stable codes (the table of codes, their statuses and their docs is
storegraph/platform/error_codes.py).
GraphQL puts ``code`` in ``extensions.code``; REST answers the code's status. Anything that is not an ``ApiError``
is masked as ``internal_error``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storegraph.platform.error_codes import CODES, http_status


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


class DuplicateHeader(ApiError):
    """A header that names one thing (the caller's key) sent more than once: answering with either one would guess
    which the client meant, and a proxy that added its own would decide it; nothing ran."""

    code = "duplicate_header"

    def __init__(self, name: str) -> None:
        super().__init__(f"The '{name}' header was sent more than once; send it once.")


class OriginNotAllowed(ApiError):
    """A browser request (it has an ``Origin`` header) to a public-key endpoint from an origin the key does not
    list among its allowed origins; nothing ran."""

    code = "origin_not_allowed"

    def __init__(self) -> None:
        super().__init__("This public key does not accept requests from this origin (see its allowed origins).")


class InsufficientScope(ApiError):
    code = "insufficient_scope"

    def __init__(self, scope: str, *more: str, field: str | None = None) -> None:
        named = ", ".join(f"'{each}'" for each in (scope, *more))
        super().__init__(f"This key lacks the {named} scope{'s' if more else ''}.")
        self.scope = scope
        # Set when a mutation reports it as a userError about one of its inputs (createApiKey's ``scopes``).
        self.field = field


class NotFound(ApiError):
    code = "not_found"

    def __init__(self, resource: str, resource_id: object, *, field: str = "id") -> None:
        super().__init__(f"{resource} with ID {resource_id} not found")
        self.field = field


class NoEndpoint(ApiError):
    """A path no route serves, in any method (``/v1/nope``, ``/V1/products``)."""

    code = "not_found"

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"No endpoint {method} {path}.")


class MethodNotAllowed(ApiError):
    """A path that exists, asked with a method it does not take; ``allow`` (the ``Allow`` header) lists those it
    takes."""

    code = "method_not_allowed"

    def __init__(self, method: str, path: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"{method} is not allowed on {path}; use {', '.join(allowed)}.")
        self.allowed = allowed

    @property
    def allow_header(self) -> tuple[bytes, bytes]:
        return (b"allow", ", ".join(self.allowed).encode())


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


class CustomerErased(ApiError):
    code = "customer_erased"

    def __init__(self, customer_id: int, *, field: str = "id") -> None:
        super().__init__(f"Customer {customer_id} was erased; an erased customer cannot be changed.")
        self.field = field


class InsufficientStock(ApiError):
    code = "insufficient_stock"

    def __init__(self, field: str, product_id: int, available: int) -> None:
        super().__init__(f"Product {product_id} has only {available} in stock.")
        self.field = field


class OrderNotDelivered(ApiError):
    """Only a customer who received the order may review it."""

    code = "order_not_delivered"

    def __init__(self, field: str, order_id: int, status: str) -> None:
        super().__init__(f"Order {order_id} is {status}; only a delivered order can be reviewed.")
        self.field = field


class InsufficientBalance(ApiError):
    code = "insufficient_balance"

    def __init__(self, field: str, balance: int) -> None:
        super().__init__(f"The balance is {balance}; a deduction cannot take it below zero.")
        self.field = field


class LoyaltyDisabled(ApiError):
    code = "loyalty_disabled"

    def __init__(self, field: str) -> None:
        super().__init__("Loyalty points are disabled for this customer.")
        self.field = field


class HouseAccountDisabled(ApiError):
    code = "house_account_disabled"

    def __init__(self, field: str) -> None:
        super().__init__("This customer has no house account enabled.")
        self.field = field


class HouseAccountLimitExceeded(ApiError):
    code = "house_account_limit_exceeded"

    def __init__(self, field: str, balance: int, limit: int) -> None:
        super().__init__(f"The house account owes {balance} with a limit of {limit}; this order would exceed it.")
        self.field = field


class PayloadTooLarge(ApiError):
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")


class RequestTimeout(ApiError):
    """The request body did not arrive whole within the deadline; what arrived was dropped and nothing ran."""

    code = "request_timeout"

    def __init__(self, seconds: float) -> None:
        super().__init__(f"The request body did not arrive within {seconds:g} s.")


class RequestHeadersTooLarge(ApiError):
    code = "request_header_fields_too_large"

    def __init__(self, max_count: int, max_bytes: int) -> None:
        super().__init__(f"Send at most {max_count} request headers, of at most {max_bytes} bytes in all.")


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


class QueryTooLarge(ApiError):
    """A GraphQL document over one of the size limits, refused before it is validated (validating a hostile
    document costs far more than refusing it). ``limit`` names what was counted: ``length``, ``tokens``,
    ``aliases``, ``repeated_fields`` or ``fields``; ``found`` is absent where counting stopped at the limit."""

    code = "query_too_large"

    def __init__(self, message: str, *, limit: str, maximum: int, found: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.maximum = maximum
        self.found = found

    @property
    def extensions(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code}
        if self.found is not None:
            extensions[self.limit] = self.found
        extensions[f"max_{self.limit}"] = self.maximum
        return extensions


class UnsupportedMediaType(ApiError):
    """A POST to /graphql whose body is not declared as JSON; nothing ran."""

    code = "unsupported_media_type"

    def __init__(self) -> None:
        super().__init__("POST /graphql takes a JSON body: send it with 'Content-Type: application/json'.")


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
    """The store used up a monthly request quota of its plan (its platform keys', or its public keys'); the
    request did not run."""

    code = "quota_exceeded"

    def __init__(self, quota: int, retry_after: int, *, what: str = "requests") -> None:
        super().__init__(f"The monthly quota of {quota} {what} is used up; it renews at the start of next month (UTC).")
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "retry_after": self.retry_after}


class Overloaded(ApiError):
    """A shared pool of connections (Redis's, the database's) stayed empty for its whole bounded wait; the request
    did not run, or was rolled back. Load, not a fault of the request: it may be retried as it is."""

    code = "overloaded"
    # Long enough for a burst to drain, short enough that a client retries rather than gives up.
    DEFAULT_RETRY_AFTER = 2

    def __init__(self, retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(f"The service is overloaded; retry in {retry_after} s.")
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

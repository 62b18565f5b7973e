"""The one table of error codes: each code's HTTP status (REST), whether a mutation reports it in ``userErrors``,
and when it happens (docs/errors.md's table is generated from it). storegraph/platform/errors.py has the
exceptions that carry these codes."""

from __future__ import annotations

from dataclasses import dataclass


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
    "duplicate_header": ErrorCode(
        400,
        "a header that must be sent once was sent more than once: two `Authorization` headers (which key is meant "
        "is ambiguous); nothing ran",
    ),
    "origin_not_allowed": ErrorCode(
        403,
        "a browser request (it has an `Origin` header) to `POST /v1/signups` or `POST /v1/events` from an "
        "origin the public key does not list; nothing ran",
    ),
    "insufficient_scope": ErrorCode(
        403,
        "the key lacks the scope the field or endpoint needs, or a scope of a key it would create or revoke; the "
        "message names them",
        user_error=True,
    ),
    "not_found": ErrorCode(
        404,
        "unknown id, or an id of another store (never revealed to exist); in REST also a path no route serves, "
        "in any case (`/V1/products`, `//v1/products`)",
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
        "a unique field is taken (a SKU in the store, a wilaya another delivery zone of the store holds), or the "
        "resource is full (a customer's address book holds 20 addresses)",
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
    "customer_erased": ErrorCode(
        409,
        "a change to a customer that was erased (restore, archive, ban, notes, another erasure): it conflicts with "
        "the customer's state, as erasure is irreversible; nothing is written ([erasure.md](erasure.md))",
        user_error=True,
    ),
    "insufficient_stock": ErrorCode(
        422,
        "a tracked product has fewer units than the line asks for",
        user_error=True,
    ),
    "order_not_delivered": ErrorCode(
        422,
        "a review for an order that is not `delivered`; nothing is written",
        user_error=True,
    ),
    "insufficient_balance": ErrorCode(
        422,
        "a loyalty deduction larger than the customer's balance; nothing is written",
        user_error=True,
    ),
    "loyalty_disabled": ErrorCode(
        422,
        "a loyalty adjustment for a customer whose `isLoyaltyEnabled` is false; nothing is written",
        user_error=True,
    ),
    "house_account_disabled": ErrorCode(
        422,
        "an order paid by `HOUSE_ACCOUNT` for a customer whose house account is not enabled; nothing is written",
        user_error=True,
    ),
    "house_account_limit_exceeded": ErrorCode(
        422,
        "an order paid by `HOUSE_ACCOUNT` that would take the balance over the customer's `houseAccountLimit`; "
        "nothing is written",
        user_error=True,
    ),
    "payload_too_large": ErrorCode(
        413,
        "a request body over `MAX_BODY_BYTES` (default 1 MiB); nothing ran",
    ),
    "request_timeout": ErrorCode(
        408,
        "a request body that had not arrived whole `BODY_TIMEOUT_SECONDS` (default 30) after the request was "
        "authenticated; nothing ran and the connection is closed",
    ),
    "request_header_fields_too_large": ErrorCode(
        431,
        "more than `MAX_HEADER_COUNT` (default 100) request headers, or more than `MAX_HEADER_BYTES` (default "
        "32 KiB) of them; nothing ran and the connection is closed",
    ),
    "unsupported_media_type": ErrorCode(
        415,
        "a `POST /graphql` whose `Content-Type` is not `application/json` (a form or `text/plain` post a browser "
        "could send from another site); nothing ran",
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
    "query_too_large": ErrorCode(
        400,
        "a GraphQL document over `MAX_QUERY_LENGTH` characters, `MAX_QUERY_TOKENS` tokens or `MAX_QUERY_ALIASES` "
        "aliases, or one that repeats fields or expands through its fragments beyond the fixed limits; refused "
        "before it is validated, and nothing ran; `extensions` names the limit (`max_tokens`, ...) "
        "([cost.md](cost.md#document-limits))",
    ),
    # Apollo's spelling, which its clients look for (docs/graphql.md#persisted-queries).
    "PERSISTED_QUERY_NOT_FOUND": ErrorCode(
        200,
        "a `/graphql` request naming its document by `extensions.persistedQuery.sha256Hash` alone, a hash no "
        "process keeps; message `PersistedQueryNotFound`, status 200: send the document with its hash once; "
        "nothing ran",
    ),
    "PERSISTED_QUERY_HASH_MISMATCH": ErrorCode(
        400,
        "a `/graphql` request whose `query` does not hash (SHA-256 of its UTF-8, in lowercase hex) to its "
        "`extensions.persistedQuery.sha256Hash`; message `provided sha does not match query`; nothing ran or was kept",
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
        "the path exists but not with this method (`/v1` paths, `/graphql`, `/healthz`, `/readyz`, `/metrics`, "
        "`/docs`, `/openapi.json`), whatever the `Idempotency-Key` header says; the `Allow` header lists the methods "
        "it has",
    ),
    "overloaded": ErrorCode(
        503,
        "more requests were in flight than the process's Redis or database connections could serve within their "
        "bounded wait (`REDIS_POOL_TIMEOUT_SECONDS`, [running.md](running.md)); `Retry-After` header and "
        "`retry_after` seconds; the request did not run, or was rolled back: retry it then",
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

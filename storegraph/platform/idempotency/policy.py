"""Which requests take part in idempotency, and which responses are kept for replay (Stripe's rules, adapted).

Stripe keeps the result of any request that *started executing*, errors included, and keeps nothing for one
refused before it ran (authentication, validation, rate limits, a concurrent duplicate). storegraph follows that,
with one deliberate difference: a 5xx is not kept. Every storegraph request runs in one transaction that an
unexpected error rolls back, so after a 5xx nothing happened and a retry with the same key is safe and useful;
Stripe, whose 500s may follow side effects, replays them instead.

Only writes take part, as at Stripe: ``/v1`` by method, ``/graphql`` mutations only (a query with the header runs
like any read and keeps nothing, so a key cannot turn reads into 24-hour copies of their answers).
"""

from __future__ import annotations

import enum
from typing import Any

import orjson
from starlette.types import Scope as AsgiScope

from storegraph.platform.auth.signed_paths import is_signed_request

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
GRAPHQL_PATH = "/graphql"
_MUTATION_STATE = "idempotency_mutation"
# Only ever a refusal before anything ran, in either API style: a bad request (GraphQL: syntax, validation,
# variables, query cost or depth; REST: a bad cursor or header), authentication, scope, an unsupported method, a
# body over the limit, and rate limits, quotas or the query-cost bucket.
REFUSAL_STATUSES = frozenset({400, 401, 403, 405, 413, 415, 429})
# 422 is both: a request that failed validation did not run, while invalid_status_transition, customer_banned or
# insufficient_stock are the answers of a run that changed nothing, and are kept like Stripe keeps a card decline.
REFUSAL_CODES = frozenset({"validation_error"})
# What an unexpected failure is reported as (``overloaded`` when a pool stayed busy); storegraph rolls back the
# request's transaction after one.
ROLLED_BACK_CODES = frozenset({"internal_error", "overloaded"})


class Requirement(enum.Enum):
    NONE = "none"  # the header is ignored
    OPTIONAL = "optional"  # honoured when present
    REQUIRED = "required"  # its absence is idempotency_key_required


def requirement(method: str, path: str) -> Requirement:
    if is_signed_request(method, path):
        # A signed tracking request is refused if its signature was seen before (storegraph/platform/auth/replay.py),
        # which is the
        # retry protection the requirement exists for; a browser snippet should not have to mint keys. A key sent
        # anyway is honoured: a retry signed anew with the same key and body gets the first answer.
        return Requirement.OPTIONAL if method == "POST" else Requirement.NONE
    if path == "/v1" or path.startswith("/v1/"):
        return Requirement.REQUIRED if method in WRITE_METHODS else Requirement.NONE
    if path == GRAPHQL_PATH and method == "POST":
        # For mutations only; whether the request is one is told from its body (graphql_operation.py).
        return Requirement.OPTIONAL
    return Requirement.NONE


def mark_mutation(scope: AsgiScope) -> None:
    """The GraphQL endpoint's word that the request ran a mutation: only then is a ``/graphql`` answer kept."""
    scope.setdefault("state", {})[_MUTATION_STATE] = True


def answers_a_write(scope: AsgiScope) -> bool:
    """Whether the request that just answered was a write, whose answer idempotency keeps. A ``/v1`` or signed
    request is one by its method (``requirement``); on ``/graphql`` only the endpoint knows, once it has parsed the
    document, so an answer it did not mark as a mutation's (a query, a document that never ran) is never kept."""
    if scope.get("path") != GRAPHQL_PATH:
        return True
    return bool((scope.get("state") or {}).get(_MUTATION_STATE))


def is_kept(status: int, body: bytes) -> bool:
    """Whether a response is the answer of a request that ran (kept and replayed), rather than a refusal before it
    ran or a failure that rolled everything back (forgotten, so a retry with the same key runs)."""
    if status >= 500 or status in REFUSAL_STATUSES:
        return False
    if status == 422:
        return not (error_codes(body) & REFUSAL_CODES)
    # The substring test spares parsing every body that reports no error at all.
    if b'"errors"' not in body:
        return True
    payload = _json_object(body)
    # A GraphQL 200 without ``data``: a client that accepts only application/json is told of a request that could
    # not run (syntax, validation, variables, limits) with a 200; nothing ran.
    if payload is not None and "errors" in payload and "data" not in payload and "error" not in payload:
        return False
    # A GraphQL 200 whose operation partly failed unexpectedly: the endpoint rolled the whole request back, so it
    # is treated like a 5xx.
    return not (_codes(payload) & ROLLED_BACK_CODES)


def error_codes(body: bytes) -> set[str]:
    """The error codes of a REST envelope (``error.code``) or a GraphQL response (``errors[].extensions.code``)."""
    return _codes(_json_object(body))


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        payload: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


def _codes(payload: dict[str, Any] | None) -> set[str]:
    if payload is None:
        return set()
    codes: set[str] = set()
    error = payload.get("error")
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        codes.add(error["code"])
    for entry in payload.get("errors") or ():
        extensions = entry.get("extensions") if isinstance(entry, dict) else None
        if isinstance(extensions, dict) and isinstance(extensions.get("code"), str):
            codes.add(extensions["code"])
    return codes

"""What the rate limit and quota put on a response, and the per-endpoint usage count after it; the admission
middleware (storegraph/platform/admission/middleware.py) applies them.

Every response to an authenticated request carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (none for a plan without a per-minute limit). A refused request gets 429 ``rate_limited`` or
``quota_exceeded`` with ``Retry-After``.

The endpoint is only known once the app has routed or parsed the request, so the app names it on
``scope["state"]["usage_endpoint"]`` (``set_usage_endpoint``): a label of the server's making, such as
``graphql query customers,store`` or ``GET /v1/customers/{id}``, never text from the client, so the counters stay
few. An answered request without one is counted as ``other``.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import Scope as AsgiScope

from storegraph.platform.errors import ApiError, QuotaExceeded, RateLimited
from storegraph.platform.http.request_id import request_id_of
from storegraph.platform.limits import OTHER_ENDPOINT, Decision, RateLimiter, RequestLimits

logger = logging.getLogger("storegraph.rate_limit")

# The key of ``scope["state"]`` that names the request's endpoint for the usage counters.
USAGE_ENDPOINT = "usage_endpoint"

Headers = tuple[tuple[bytes, bytes], ...]


def set_usage_endpoint(scope: AsgiScope, label: str, *, keep_existing: bool = False) -> None:
    """Name the request's endpoint for the usage counters. ``keep_existing`` leaves a label already set alone: a
    layer that runs another's handler (REST over a GraphQL operation) has named the request for what was asked."""
    state: dict[str, Any] = scope.setdefault("state", {})
    if keep_existing:
        state.setdefault(USAGE_ENDPOINT, label)
    else:
        state[USAGE_ENDPOINT] = label


def usage_endpoint_of(scope: AsgiScope) -> str:
    label = (scope.get("state") or {}).get(USAGE_ENDPOINT)
    return label if isinstance(label, str) and label else OTHER_ENDPOINT


async def count_endpoint(limiter: RateLimiter, scope: AsgiScope, key_pk: int) -> None:
    """After the response: a failure here loses one count, never the answer the client already has."""
    try:
        await limiter.record_endpoint(key_pk, usage_endpoint_of(scope))
    except Exception:
        logger.exception("usage count failed (request %s)", request_id_of(scope))


def rate_limit_headers(decision: Decision) -> Headers:
    if decision.limit is None or decision.remaining is None or decision.reset is None:
        return ()
    return (
        (b"x-ratelimit-limit", str(decision.limit).encode()),
        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
        (b"x-ratelimit-reset", str(decision.reset).encode()),
    )


def refusal(decision: Decision, limits: RequestLimits) -> ApiError:
    if decision.refused_by == "quota":
        what = "public-key requests" if limits.counter == "public_requests" else "requests"
        return QuotaExceeded(limits.per_month or 0, decision.retry_after, what=what)
    return RateLimited(decision.limit or 0, decision.retry_after)

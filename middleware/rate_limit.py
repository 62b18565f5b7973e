"""Per-key rate limit and per-store monthly quota, after authentication: one limiter call per authenticated
request, and one more after the response to count it under its endpoint.

Every response to an authenticated request carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (none for a plan without a per-minute limit). A refused request gets 429 ``rate_limited`` or
``quota_exceeded`` with ``Retry-After`` and never reaches the app. Unauthenticated requests pass untouched: the
auth middleware already answered them, or they need no key (health checks, the GraphiQL page).

The endpoint is only known once the app has routed or parsed the request, so the app names it on
``scope["state"]["usage_endpoint"]`` (``set_usage_endpoint``): a label of the server's making, such as
``graphql query customers,store`` or ``GET /v1/customers/{id}``, never text from the client, so the counters stay
few. An answered request without one is counted as ``other``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from domain.errors import ApiError, QuotaExceeded, RateLimited
from domain.plans import Plan, effective_plan
from limits import OTHER_ENDPOINT, Decision, RateLimiter
from middleware.internal_error import send_internal_error
from middleware.principal import principal_of
from middleware.responses import send_error

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


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter, plans: Mapping[str, Plan]) -> None:
        self.app = app
        self.limiter = limiter
        self.plans = plans

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        principal = principal_of(scope) if scope["type"] == "http" else None
        if principal is None:
            await self.app(scope, receive, send)
            return
        plan = self.plan_named(principal.plan)
        try:
            decision = await self.limiter.hit(principal.store_id, principal.key_pk, plan)
        except Exception:
            # The limiter's store is unreachable (Redis down, ...): a JSON 500 quoting the request id.
            logger.exception("rate limit check failed (request %s)", _request_id(scope))
            await send_internal_error(scope, send)
            return
        headers = rate_limit_headers(decision)
        if not decision.allowed:
            retry_after = (b"retry-after", str(decision.retry_after).encode())
            await send_error(scope, send, refusal(decision, plan), (*headers, retry_after))
            return
        answered = False

        async def send_with_limits(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_limits)
        if answered:
            await self._count_endpoint(scope, principal.key_pk)

    def plan_named(self, name: str) -> Plan:
        return effective_plan(self.plans, name)

    async def _count_endpoint(self, scope: AsgiScope, key_pk: int) -> None:
        """After the response: a failure here loses one count, never the answer the client already has."""
        try:
            await self.limiter.record_endpoint(key_pk, usage_endpoint_of(scope))
        except Exception:
            logger.exception("usage count failed (request %s)", _request_id(scope))


def rate_limit_headers(decision: Decision) -> Headers:
    if decision.limit is None or decision.remaining is None or decision.reset is None:
        return ()
    return (
        (b"x-ratelimit-limit", str(decision.limit).encode()),
        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
        (b"x-ratelimit-reset", str(decision.reset).encode()),
    )


def refusal(decision: Decision, plan: Plan) -> ApiError:
    if decision.refused_by == "quota":
        return QuotaExceeded(plan.requests_per_month or 0, decision.retry_after)
    return RateLimited(decision.limit or 0, decision.retry_after)


def _request_id(scope: AsgiScope) -> str | None:
    request_id: str | None = (scope.get("state") or {}).get("request_id")
    return request_id

"""Per-key rate limit and monthly quota, after authentication: one limiter call per authenticated request.

Every response to an authenticated request carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (none for a plan without a per-minute limit). A refused request gets 429 ``rate_limited`` or
``quota_exceeded`` with ``Retry-After`` and never reaches the app. Unauthenticated requests pass untouched: the
auth middleware already answered them, or they need no key (health checks, the GraphiQL page).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from domain.errors import ApiError, QuotaExceeded, RateLimited
from domain.plans import Plan
from limits import Decision, RateLimiter
from middleware.internal_error import send_internal_error
from middleware.principal import principal_of
from middleware.responses import send_error

logger = logging.getLogger("storegraph.rate_limit")

# A key whose store names a plan the configuration no longer has gets the most restrictive default plan.
FALLBACK_PLAN = "free"

Headers = tuple[tuple[bytes, bytes], ...]


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
        try:
            decision = await self.limiter.hit(principal.key_pk, self.plan_named(principal.plan))
        except Exception:
            # The limiter's store is unreachable (Redis down, ...): a JSON 500 quoting the request id.
            logger.exception("rate limit check failed (request %s)", (scope.get("state") or {}).get("request_id"))
            await send_internal_error(scope, send)
            return
        headers = rate_limit_headers(decision)
        if not decision.allowed:
            retry_after = (b"retry-after", str(decision.retry_after).encode())
            await send_error(scope, send, refusal(decision, self.plan_named(principal.plan)), (*headers, retry_after))
            return
        if not headers:
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_limits)

    def plan_named(self, name: str) -> Plan:
        return self.plans.get(name) or self.plans[FALLBACK_PLAN]


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

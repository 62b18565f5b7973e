"""Admission, after authentication: whether a request runs, decided in one step (admission/), then the request
run or answered, then counted under its endpoint.

For an authenticated request: the idempotency side checks the Idempotency-Key header and, when there is a usable
key, buffers the body into a claim (storegraph/platform/idempotency/runs.py); one ``Admission.admit`` then takes the
rate limit,
the store's monthly quota and the claim's reservation together (one round trip with Redis). A public key's request
(the signed tracking endpoints) is limited as public traffic: its own window and the store's public-key quota,
never the quota of the store's platform keys. A refused request gets
429 ``rate_limited`` or ``quota_exceeded`` with ``Retry-After`` and never reaches the app or holds its key; an
admitted one is refused for its header, run, or answered from its key's record. Every answer carries the
``X-RateLimit-*`` headers (storegraph/platform/limits/headers.py), and is counted under the endpoint the app named,
after the
response. Unauthenticated requests pass untouched: the auth middleware already answered them, or they need no key
(health checks, the GraphiQL page).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping

from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.admission.core import Admission, Admitted
from storegraph.platform.auth.key_format import KeyType
from storegraph.platform.auth.principal import principal_of
from storegraph.platform.http.body import replay_body
from storegraph.platform.http.internal_error import send_failure, send_internal_error
from storegraph.platform.http.request_id import request_id_of
from storegraph.platform.http.responses import send_error
from storegraph.platform.idempotency.runs import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_MAX_RESPONSE_BYTES,
    IdempotentRuns,
    Prepared,
    RouteCheck,
    every_request_routed,
)
from storegraph.platform.idempotency.sealing import AnswerSealer
from storegraph.platform.idempotency.store import DAY_SECONDS
from storegraph.platform.limits.decision import Traffic, request_limits
from storegraph.platform.limits.headers import count_endpoint, rate_limit_headers, refusal
from storegraph.platform.limits.plans import Plan, effective_plan

logger = logging.getLogger("storegraph.admission")


class AdmissionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        admission: Admission,
        plans: Mapping[str, Plan],
        *,
        sealer: AnswerSealer,
        ttl_seconds: float = DAY_SECONDS,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        routed: RouteCheck = every_request_routed,
    ) -> None:
        self.app = app
        self.admission = admission
        self.plans = plans
        self.idempotency = IdempotentRuns(
            app,
            admission.store,
            sealer=sealer,
            ttl_seconds=ttl_seconds,
            lease_seconds=lease_seconds,
            max_response_bytes=max_response_bytes,
            routed=routed,
        )

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        principal = principal_of(scope) if scope["type"] == "http" else None
        if principal is None:
            await self.app(scope, receive, send)
            return
        prepared = await self.idempotency.prepare(scope, receive, principal.key_pk)
        if prepared is None:
            return  # the client went away before sending its request: nothing to run or keep
        # A store's own plan, else the fallback (``effective_plan``) for a name the settings do not know.
        plan = self.plans.get(principal.plan) or effective_plan(self.plans, principal.plan)
        traffic: Traffic = "public" if principal.key_type == KeyType.PUBLIC else "platform"
        try:
            admitted = await self.admission.admit(
                principal.store_id, principal.key_pk, plan, prepared.claim, traffic=traffic
            )
        except Exception as error:
            # The limiter's or the idempotency store's backend is unreachable (Redis down, ...): a JSON 500 quoting
            # the request id, or 503 when its pool stayed busy; nothing ran.
            await send_failure(scope, send, error, logger, "admission failed")
            return
        headers = rate_limit_headers(admitted.decision)
        if not admitted.decision.allowed:
            retry_after = (b"retry-after", str(admitted.decision.retry_after).encode())
            refused = refusal(admitted.decision, request_limits(plan, traffic))
            await send_error(scope, send, refused, (*headers, retry_after))
            return
        answered = False

        async def send_with_limits(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                if headers:
                    message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self._answer(scope, prepared, admitted, receive, send_with_limits)
        if answered:
            await count_endpoint(self.admission.limiter, scope, principal.key_pk)

    def _answer(
        self, scope: AsgiScope, prepared: Prepared, admitted: Admitted, receive: Receive, send: Send
    ) -> Awaitable[None]:
        # Hands on the awaitable that answers, adding no coroutine (docs/decisions.md, "Pass-through layers").
        if prepared.refusal is not None:
            return send_error(scope, send, prepared.refusal)
        if prepared.claim is None:
            # A GraphQL query with a key had its body read to tell it from a mutation: the app gets it back.
            return self.app(scope, receive if prepared.body is None else replay_body(prepared.body, receive), send)
        if admitted.reservation is None or prepared.body is None:
            # A backend that admitted a claim without reserving it: running unprotected could repeat the action.
            logger.error("admission admitted a claim without reserving it (request %s)", request_id_of(scope))
            return send_internal_error(scope, send)
        return self.idempotency.answer(scope, admitted.reservation, prepared.body, receive, send)

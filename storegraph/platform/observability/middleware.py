"""Counts, times and logs every request, once its response is out: one pure ASGI middleware, so that the metrics and
the access log share one clock reading and one look at the request's labels (storegraph/platform/http/labels.py).

The route is the template the request took (``/v1/customers/{id}``, ``/graphql``), never the raw path, so the number
of series stays bounded; the app hands in ``route_of``, which knows its routes. The latency runs from the request's
arrival to its response's last byte (work done after the response, such as the usage count, is not the client's
wait). An access line names the request id, method, route, operation, status and duration, never the path or query
string, which can hold a customer's phone or email. Probes and scrapes are logged at DEBUG: they come every few
seconds and say nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.http.labels import ERROR_CODE, OPERATION, label_of
from storegraph.platform.http.request_id import request_id_of
from storegraph.platform.http.responses import GRAPHQL_PATH
from storegraph.platform.observability.logs import RecordMaker
from storegraph.platform.observability.metrics import AppMetrics

access_logger = logging.getLogger("storegraph.access")
ACCESS_LINE = "%s %s %s %d %.1f ms"

RouteOf = Callable[[AsgiScope], str]
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
UNKNOWN_REASON = "unknown"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: AppMetrics, route_of: RouteOf, access_log: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.route_of = route_of
        self.access_log = access_log
        # ``Logger.log`` cost an access line as much as the rest of this middleware's work (logs.py says why).
        self._access_records = RecordMaker(access_logger, source=__file__, function="_record")

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = 0.0
        # An exception that escaped every middleware below is answered 500 by the server.
        status = 500

        async def send_watched(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = time.perf_counter()
            await send(message)

        try:
            await self.app(scope, receive, send_watched)
        finally:
            self._record(scope, status, (answered or time.perf_counter()) - started)

    def _record(self, scope: AsgiScope, status: int, seconds: float) -> None:
        route = self.route_of(scope)
        # A /v1 row runs a GraphQL operation too, but its template and method already say which.
        operation = (label_of(scope, OPERATION) or "") if route == GRAPHQL_PATH else ""
        method: str = scope["method"]
        self.metrics.observe_request(method, route, operation, status, seconds)
        if status == 429:
            self.metrics.refused(label_of(scope, ERROR_CODE) or UNKNOWN_REASON)
        if not self.access_log:
            return
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        if access_logger.isEnabledFor(level):
            record = self._access_records.make(
                level,
                ACCESS_LINE,
                (method, route, operation or "-", status, seconds * 1000),
                {
                    "request_id": request_id_of(scope),
                    "method": method,
                    "route": route,
                    "operation": operation or None,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "error_code": label_of(scope, ERROR_CODE),
                },
            )
            access_logger.handle(record)

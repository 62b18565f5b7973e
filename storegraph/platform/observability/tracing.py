"""OpenTelemetry tracing, installed only when configured (``OTEL_EXPORTER_OTLP_ENDPOINT``): off, none of this runs.

One server span per request, named by method and route template (never the raw path, which can hold a customer's
phone), continuing the caller's trace from its ``traceparent`` header; and one client span per SQL statement, a
child of the span current when the statement ran. A statement's span carries its text, which holds placeholders,
never the bound values. The tracer comes from the provider the app owns, never from OpenTelemetry's global one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.http.labels import OPERATION, label_of
from storegraph.platform.http.request_id import request_id_of

RouteOf = Callable[[AsgiScope], str]
_PROPAGATOR = TraceContextTextMapPropagator()
_SPAN = "_storegraph_span"


def _headers(scope: AsgiScope) -> dict[str, str]:
    return {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in scope.get("headers", ())
        if name in (b"traceparent", b"tracestate")
    }


class TracingMiddleware:
    def __init__(self, app: ASGIApp, *, tracer: Tracer, route_of: RouteOf) -> None:
        self.app = app
        self.tracer = tracer
        self.route_of = route_of

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        parent = _PROPAGATOR.extract(_headers(scope))
        with self.tracer.start_as_current_span(
            method, context=parent, kind=SpanKind.SERVER, attributes={"http.request.method": method}
        ) as span:
            status = 500

            async def send_watched(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, send_watched)
            finally:
                route = self.route_of(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if (operation := label_of(scope, OPERATION)) is not None:
                    span.set_attribute("graphql.operation.type", operation)
                if (request_id := request_id_of(scope)) is not None:
                    span.set_attribute("storegraph.request_id", request_id)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))


def trace_statements(engine: Engine, tracer: Tracer, system: str) -> None:
    """A span for every statement ``engine`` runs (``engine.sync_engine`` of an async engine)."""

    def before(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        name = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(
            name,
            context=otel_context.get_current(),
            kind=SpanKind.CLIENT,
            attributes={"db.system.name": system, "db.query.text": statement},
        )
        setattr(context, _SPAN, span)

    def after(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
        span: trace.Span | None = getattr(context, _SPAN, None)
        if span is not None:
            span.end()

    def failed(exception_context: Any) -> None:
        span: trace.Span | None = getattr(exception_context.execution_context, _SPAN, None)
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, type(exception_context.original_exception).__name__))
            span.end()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)

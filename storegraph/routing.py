"""Which requests the app routes: the /v1 table's paths and methods, and the app's other routes.

``route_check`` tells admission which requests run: one no route takes is answered 404 or 405 (with ``Allow``)
by the app, after the rate limit like any request, and never asked for an ``Idempotency-Key`` first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from rest_compat.router import Router
from storegraph.platform.http.labels import ROUTE, label_of
from storegraph.platform.http.responses import GRAPHQL_PATH
from storegraph.platform.idempotency.runs import RouteCheck

REST_PREFIX = "/v1"
GRAPHQL_METHODS = ("GET", "POST")
# The route label of a request no route takes (a 404), whatever its path: paths are the clients' free text.
UNMATCHED = "unmatched"


def is_rest(path: str) -> bool:
    return path == REST_PREFIX or path.startswith(f"{REST_PREFIX}/")


class PrefixRoute(BaseRoute):
    """Every HTTP request for ``/v1`` or a path under it, whatever characters the path holds.

    Starlette's ``/v1/{path:path}`` does not match a path with a newline in it (a client sends one as ``%0A``),
    which then got Starlette's own 404 ``{"detail": "Not Found"}`` instead of the /v1 envelope.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def matches(self, scope: AsgiScope) -> tuple[Match, AsgiScope]:
        if scope["type"] == "http" and is_rest(scope.get("path", "")):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def route_check(routes: Sequence[BaseRoute], rest: Router) -> RouteCheck:
    """Whether a route takes ``(method, path)``. ``routes`` is read at each call, so routes added after the check
    is made count."""

    def routed(method: str, path: str) -> bool:
        if is_rest(path):
            match = rest.match(method, path)
            return match is not None and match.endpoint is not None
        probe: AsgiScope = {"type": "http", "path": path, "method": method, "root_path": ""}
        return any(route.matches(probe)[0] is Match.FULL for route in routes)

    return routed


class HotRoutes:
    """The innermost middleware: ``/graphql`` (GET and POST) and every ``/v1`` path go straight to their handlers,
    which answer every outcome themselves, errors included. Only the app's other paths pass through FastAPI's
    exception handling and router, whose wrappers and route matching cost a request about as much as a small
    read's own work."""

    def __init__(self, app: ASGIApp, *, graphql: ASGIApp, rest: ASGIApp) -> None:
        self.app = app
        self.graphql = graphql
        self.rest = rest

    def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> Awaitable[None]:
        # Hands on the awaitable that answers, adding no coroutine (docs/decisions.md, "Pass-through layers").
        if scope["type"] == "http":
            path = scope["path"]
            if path == GRAPHQL_PATH and scope["method"] in GRAPHQL_METHODS:
                return self.graphql(scope, receive, send)
            if is_rest(path):
                return self.rest(scope, receive, send)
        return self.app(scope, receive, send)


def route_labeller(routes: Sequence[BaseRoute], rest: Router) -> Callable[[AsgiScope], str]:
    """The template of the route a request took, for metrics, access logs and traces (never the raw path): the /v1
    row's, named by the REST handler, or for a request answered before it got there (no key, rate limited...) the
    row its path would have taken; ``/graphql``; another route's path (all are fixed paths); else ``unmatched``.
    ``routes`` is read at each call, so routes added later count."""

    def route_of(scope: AsgiScope) -> str:
        named = label_of(scope, ROUTE)
        if named is not None:
            return named
        path: str = scope["path"]
        if is_rest(path):
            return _rest_template(rest, scope["method"], path)
        if path == GRAPHQL_PATH:
            return GRAPHQL_PATH
        for route in routes:
            if getattr(route, "path", None) == path:
                return path
        return UNMATCHED

    return route_of


def _rest_template(rest: Router, method: str, path: str) -> str:
    match = rest.match(method, path)
    if match is not None and match.endpoint is None and match.allowed:
        match = rest.match(match.allowed[0], path)  # the path exists with another method (405)
    if match is None or match.endpoint is None:
        return UNMATCHED
    return match.endpoint.endpoint.path

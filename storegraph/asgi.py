"""The application object: FastAPI, entered with fewer wrappers around the app's own middleware.

FastAPI puts three layers of its own around an app's middleware and, for every request, asks its native
OpenTelemetry instrumentation whether anything configured it. None of them does anything for this app: it traces
itself (storegraph/observability.py), limits every body itself (BodyLimitMiddleware; FastAPI's ``max_body_size`` is
never set) and answers every unexpected error itself (InternalErrorMiddleware). An HTTP request here goes through
Starlette's last-resort error page, the app's middleware, the exception handlers and the router, and nothing else:
on a small read those skipped layers cost about as much as a middleware of the app's own.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, ExceptionHandler, Receive, Scope, Send


class StoregraphApp(FastAPI):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # the lifespan and FastAPI's own handling of the rest
            return
        if self.root_path:
            scope["root_path"] = self.root_path
        scope["app"] = self
        stack = self.middleware_stack
        if stack is None:
            stack = self.middleware_stack = self.build_middleware_stack()
        await stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        if self.max_body_size is not None:
            raise ValueError("bodies are limited by BodyLimitMiddleware, not by FastAPI's max_body_size")
        error_handler: ExceptionHandler | None = None
        handlers: dict[int | type[Exception], ExceptionHandler] = {}
        for key, handler in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = handler
            else:
                handlers[key] = handler
        # As FastAPI orders them: the exit stack inside the exception handlers, inside the app's middleware.
        app: ASGIApp = AsyncExitStackMiddleware(self.router)
        app = ExceptionMiddleware(app, handlers=handlers, debug=self.debug)
        for middleware in reversed(self.user_middleware):
            app = middleware.cls(app, *middleware.args, **middleware.kwargs)
        return ServerErrorMiddleware(app, handler=error_handler, debug=self.debug)

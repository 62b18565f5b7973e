"""Gives every request an id: a sane inbound ``X-Request-Id`` is kept, anything else is replaced.

The id is put on ``scope["state"]["request_id"]`` (envelopes and masked errors quote it) and echoed in the
``X-Request-Id`` response header, so a client can quote it and an operator can find the request in the logs. A
response that already names its request keeps that id: an idempotent replay answers with the first request's body,
which quotes the first request's id, and its header must say the same.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

REQUEST_ID_HEADER = b"x-request-id"
# Whatever a client sends is echoed in a header and written to logs: keep it short and inert.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The id of the request the running task serves, for the log lines written on its behalf by code that has no scope
# (storegraph/platform/observability/logs.py). A context variable, not process state: each request's task has its
# own value, and a task started while serving it inherits it.
CURRENT_REQUEST_ID: ContextVar[str | None] = ContextVar("storegraph_request_id", default=None)


def request_id_of(scope: AsgiScope) -> str | None:
    """The id this middleware gave the request (None outside it: a unit test's bare scope)."""
    request_id: str | None = (scope.get("state") or {}).get("request_id")
    return request_id


def new_request_id() -> str:
    return f"req_{secrets.token_hex(12)}"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _inbound_id(scope) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == REQUEST_ID_HEADER for name, _ in headers):
                    headers.append(header)
                message["headers"] = headers
            await send(message)

        token = CURRENT_REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CURRENT_REQUEST_ID.reset(token)


def _inbound_id(scope: AsgiScope) -> str | None:
    value = Headers(scope=scope).get("x-request-id")
    return value if value is not None and _SANE_ID.fullmatch(value) else None

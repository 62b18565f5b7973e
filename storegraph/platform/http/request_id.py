"""Gives every request an id: a sane inbound ``X-Request-Id`` is kept, anything else is replaced.

The id is put on ``scope["state"]["request_id"]`` (envelopes and masked errors quote it) and echoed in the
``X-Request-Id`` response header, so a client can quote it and an operator can find the request in the logs. A
response that already names its request keeps that id: an idempotent replay answers with the first request's body,
which quotes the first request's id, and its header must say the same.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

REQUEST_ID_HEADER = b"x-request-id"
# Whatever a client sends is echoed in a header and written to logs: keep it short and inert.
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
# The id of the request the running task serves, for the log lines written on its behalf by code that has no scope
# (storegraph/platform/observability/logs.py). A context variable, not process state: each request's task has its
# own value, and a task started while serving it inherits it.
CURRENT_REQUEST_ID: ContextVar[str | None] = ContextVar("storegraph_request_id", default=None)


def request_id_of(scope: AsgiScope) -> str | None:
    """The id this middleware gave the request (None outside it: a unit test's bare scope)."""
    request_id: str | None = (scope.get("state") or {}).get("request_id")
    return request_id


class RequestIds:
    """New request ids: ``req_`` and 24 random hex digits (``secrets.token_hex(12)``'s), from random bytes read from
    the operating system for ``batch`` ids at a time: one read per request was the largest part of this middleware's
    own work. The bytes read are never used in another process: a process forked after a read (a server that builds
    the app before starting its workers) reads its own."""

    __slots__ = ("_batch", "_digits", "_next", "_reader")

    def __init__(self, batch: int = 256) -> None:
        self._batch = batch
        self._digits = ""
        self._next = 0
        self._reader = 0  # the process that read ``_digits``

    def new(self) -> str:
        start = self._next
        if start >= len(self._digits) or self._reader != os.getpid():
            self._digits, self._reader, start = os.urandom(12 * self._batch).hex(), os.getpid(), 0
        self._next = start + 24
        return "req_" + self._digits[start : start + 24]


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._ids = RequestIds()

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = _inbound_id(scope)
        if raw is None:
            request_id = self._ids.new()
            raw = request_id.encode("ascii")
        else:
            request_id = raw.decode("ascii")
        scope.setdefault("state", {})["request_id"] = request_id
        header = (REQUEST_ID_HEADER, raw)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                for name, _ in headers:
                    if name.lower() == REQUEST_ID_HEADER:
                        message["headers"] = list(headers)
                        break
                else:
                    # A new list: the app's may be a constant that every response of a route shares.
                    message["headers"] = [*headers, header]
            await send(message)

        token = CURRENT_REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CURRENT_REQUEST_ID.reset(token)


def _inbound_id(scope: AsgiScope) -> bytes | None:
    """The first ``X-Request-Id`` as sent, when sane (then ASCII). A plain loop: ASGI servers lower-case header
    names (Starlette's ``Headers`` relies on it too), and this runs for every request."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            return value if _SANE_ID.fullmatch(value) else None
    return None

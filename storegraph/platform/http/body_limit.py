"""Refuses request bodies over the limit with 413 ``payload_too_large`` before any handler sees them.

A declared ``Content-Length`` over the limit is refused without reading. Otherwise the body is read (up to
the limit) and replayed to the app, so a chunked upload cannot get past the limit either.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.errors import PayloadTooLarge
from storegraph.platform.http.body import replay_body
from storegraph.platform.http.responses import send_error


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await send_error(scope, send, PayloadTooLarge(self.max_bytes))
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > self.max_bytes:
                await send_error(scope, send, PayloadTooLarge(self.max_bytes))
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, replay_body(bytes(body), receive), send)


def _content_length(scope: AsgiScope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None

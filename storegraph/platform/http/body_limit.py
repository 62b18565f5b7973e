"""Bounds an authenticated request's body in size (413 ``payload_too_large``) and in time (408
``request_timeout``) before any handler sees it.

It runs after authentication, which decides from the headers alone: a request without a valid key is answered
401 without a byte of its body read, so only a caller holding a key can make the process hold a body, and only up to
``max_bytes`` for ``timeout_seconds``. A declared ``Content-Length`` over the limit is refused without reading.
Otherwise the body is read (up to the limit, within the deadline) and replayed to the app, so neither a chunked
upload nor a client that sends slowly gets past the limits. Requests without a principal are passed on untouched:
authentication already answered those that need a key, and the routes that need none read no body. The signed
tracking endpoints were bounded by the same limits in storegraph/platform/auth/public_key.py, which needs their
body to check the signature.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.auth.principal import principal_of
from storegraph.platform.auth.signed_paths import is_signed_request
from storegraph.platform.errors import PayloadTooLarge, RequestTimeout
from storegraph.platform.http.body import read_limited_body, replay_body
from storegraph.platform.http.responses import CONNECTION_CLOSE, send_error


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout_seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or principal_of(scope) is None or is_signed_request(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        # Any method: a GET may carry a body too, and /v1 reads it (to refuse it).
        try:
            body = await read_limited_body(scope, receive, self.max_bytes, self.timeout_seconds)
        except (PayloadTooLarge, RequestTimeout) as error:
            # The rest of the body is never read: the connection cannot carry another request.
            await send_error(scope, send, error, (CONNECTION_CLOSE,))
            return
        if body is None:
            return  # the client went away before sending its request
        await self.app(scope, replay_body(body, receive), send)

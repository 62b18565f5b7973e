"""Refuses a request with too many headers, or too many bytes of them, with 431
``request_header_fields_too_large`` before anything else reads them.

The server parsed them already (``storegraph serve`` caps their size there too, see storegraph/cli.py, and a proxy
in front earlier still: docs/running.md); this keeps every later layer, whichever server runs the app, from
working through a hundred thousand headers or megabytes of them. Sizes are counted as on the wire: name, value,
``": "`` and the line end.
"""

from __future__ import annotations

from collections.abc import Awaitable
from itertools import chain

from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.errors import RequestHeadersTooLarge
from storegraph.platform.http.responses import CONNECTION_CLOSE, send_error

# ": " between name and value, and the CRLF after each line.
_LINE_OVERHEAD = 4


class HeaderLimitMiddleware:
    def __init__(self, app: ASGIApp, max_count: int, max_bytes: int) -> None:
        self.app = app
        self.max_count = max_count
        self.max_bytes = max_bytes

    def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> Awaitable[None]:
        # Hands on the awaitable that answers, adding no coroutine (docs/decisions.md, "Pass-through layers").
        if scope["type"] == "http" and not self._within_limits(scope["headers"]):
            # The body is never read: the connection cannot carry another request.
            return send_error(scope, send, RequestHeadersTooLarge(self.max_count, self.max_bytes), (CONNECTION_CLOSE,))
        return self.app(scope, receive, send)

    def _within_limits(self, headers: list[tuple[bytes, bytes]]) -> bool:
        if len(headers) > self.max_count:
            return False
        # Every request pays this: summed in C, not by a generator resumed twice per header.
        return sum(map(len, chain.from_iterable(headers))) + _LINE_OVERHEAD * len(headers) <= self.max_bytes

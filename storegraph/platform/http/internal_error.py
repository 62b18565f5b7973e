"""The answer to an unexpected failure: a JSON 500 in the caller's API style that quotes the request id.

Never the exception itself (``internal_error`` carries no stack trace or internal detail): the
operator finds the stack in the log by the request id.
"""

from __future__ import annotations

import logging

import orjson
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from storegraph.platform.errors import ApiError
from storegraph.platform.http.request_id import request_id_of
from storegraph.platform.http.responses import error_body, is_graphql

logger = logging.getLogger("storegraph.http")


def internal_error_message(scope: AsgiScope) -> str:
    return masked_message(request_id_of(scope))


def masked_message(request_id: str | None) -> str:
    """What the client reads instead of the exception: enough to quote to the operator, nothing more."""
    return f"Internal server error (request {request_id})" if request_id else "Internal server error"


def internal_error_body(scope: AsgiScope) -> bytes:
    error = ApiError(internal_error_message(scope))
    if not is_graphql(scope):
        return error_body(scope, error)
    # A GraphQL response whose execution failed as a whole: the spec's shape, with ``data`` null.
    return orjson.dumps({"errors": [{"message": error.message, "extensions": {"code": error.code}}], "data": None})


async def send_internal_error(scope: AsgiScope, send: Send) -> None:
    body = internal_error_body(scope)
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class InternalErrorMiddleware:
    """The last answer to an exception that nothing below caught: the JSON 500 above, inside the request id's
    middleware so it carries ``X-Request-Id``, instead of Starlette's plain-text one, which has neither."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_watched)
        except Exception:
            if started:
                raise  # half an answer is out: nothing better can be sent, the server closes the connection
            logger.exception("unexpected error (request %s)", request_id_of(scope))
            await send_internal_error(scope, send)

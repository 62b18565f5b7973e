"""The answer to an unexpected failure: a JSON 500 in the caller's API style that quotes the request id, or 503
``overloaded`` when the failure was a shared pool of connections that stayed empty (storegraph/platform/overload.py).

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
from storegraph.platform.http.responses import error_body, is_graphql, retry_after_header, send_error
from storegraph.platform.limits.cost_budget import unexecuted_cost_extensions
from storegraph.platform.overload import overloaded, pool_exhaustion

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
    # A GraphQL response whose execution failed as a whole: the spec's shape, with ``data`` null, and the
    # ``extensions.cost`` every GraphQL response carries (what the operation cost is lost with it).
    errors = [{"message": error.message, "extensions": {"code": error.code}}]
    return orjson.dumps({"errors": errors, "data": None, "extensions": unexecuted_cost_extensions()})


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


async def send_failure(scope: AsgiScope, send: Send, error: BaseException, log: logging.Logger, what: str) -> None:
    """Answers ``error``, which the caller could not handle, and logs it: ``overloaded`` when a pool stayed empty
    for its whole wait, else a masked ``internal_error`` with the stack in the log."""
    busy = overloaded(error)
    if busy is None:
        log.error("%s (request %s)", what, request_id_of(scope), exc_info=error)
        await send_internal_error(scope, send)
        return
    # Load, not a bug: no stack; the line says which pool to size (or which processes to add).
    log.warning("%s: overloaded, %r (request %s)", what, pool_exhaustion(error), request_id_of(scope))
    await send_error(scope, send, busy, (retry_after_header(busy.retry_after),))


class InternalErrorMiddleware:
    """The last answer to an exception that nothing below caught: the JSON 500 above (503 when a pool stayed
    busy), inside the request id's middleware so it carries ``X-Request-Id``, instead of Starlette's plain-text
    one, which has neither."""

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
        except Exception as error:
            if started:
                raise  # half an answer is out: nothing better can be sent, the server closes the connection
            await send_failure(scope, send, error, logger, "unexpected error")

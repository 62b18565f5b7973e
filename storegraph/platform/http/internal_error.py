"""The answer to an unexpected failure: a JSON 500 in the caller's API style that quotes the request id.

Never the exception itself (``internal_error`` carries no stack trace or internal detail): the
operator finds the stack in the log by the request id.
"""

from __future__ import annotations

import orjson
from starlette.types import Scope as AsgiScope
from starlette.types import Send

from storegraph.platform.errors import ApiError
from storegraph.platform.http.request_id import request_id_of
from storegraph.platform.http.responses import error_body
from storegraph.platform.limits.cost_budget import unexecuted_cost_extensions


def internal_error_message(scope: AsgiScope) -> str:
    return masked_message(request_id_of(scope))


def masked_message(request_id: str | None) -> str:
    """What the client reads instead of the exception: enough to quote to the operator, nothing more."""
    return f"Internal server error (request {request_id})" if request_id else "Internal server error"


def internal_error_body(scope: AsgiScope) -> bytes:
    error = ApiError(internal_error_message(scope))
    if scope.get("path", "").startswith("/v1"):
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

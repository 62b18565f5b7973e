"""Error bodies written by middleware, in the shape the caller's API style expects."""

from __future__ import annotations

import orjson
from starlette.types import Scope as AsgiScope
from starlette.types import Send

from storegraph.platform.errors import ApiError
from storegraph.platform.http.request_id import request_id_of

GRAPHQL_PATH = "/graphql"


def is_graphql(scope: AsgiScope) -> bool:
    """Whether errors are answered in GraphQL's shape: on ``/graphql`` only. Every other path, ``/v1`` and any
    path no route serves (``/V1/products``, ``//v1/products``), answers in the REST envelope."""
    return scope.get("path") == GRAPHQL_PATH


def error_body(scope: AsgiScope, error: ApiError) -> bytes:
    request_id = request_id_of(scope)
    # What an error adds to its code (``retry_after``, ``details``) goes in ``error`` (REST) or ``extensions``.
    extensions = error.extensions
    if not is_graphql(scope):
        extra = {name: value for name, value in extensions.items() if name != "code"}
        payload: dict[str, object] = {
            "error": {"code": error.code, "message": error.message, **extra},
            "meta": {"request_id": request_id, "api_version": "v1"},
        }
    else:
        payload = {"errors": [{"message": error.message, "extensions": extensions}]}
    return orjson.dumps(payload)


async def send_error(
    scope: AsgiScope, send: Send, error: ApiError, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = error_body(scope, error)
    await send(
        {
            "type": "http.response.start",
            "status": error.http_status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

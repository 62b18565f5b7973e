"""Error bodies written by middleware, in the shape the caller's API style expects."""

from __future__ import annotations

import orjson
from starlette.types import Scope as AsgiScope
from starlette.types import Send

from storegraph.platform.errors import ApiError
from storegraph.platform.http.labels import name_error
from storegraph.platform.http.request_id import request_id_of
from storegraph.platform.limits.cost_budget import unexecuted_cost_extensions

GRAPHQL_PATH = "/graphql"
# The REST envelope's ``meta.api_version``, and the OpenAPI document's version.
API_VERSION = "v1"


def is_graphql(scope: AsgiScope) -> bool:
    """Whether errors are answered in GraphQL's shape: on ``/graphql`` only. Every other path, ``/v1`` and any
    path no route serves (``/V1/products``, ``//v1/products``), answers in the REST envelope."""
    return scope.get("path") == GRAPHQL_PATH


def envelope_meta(scope: AsgiScope) -> dict[str, str | None]:
    """The REST envelope's ``meta``: the request's id and the API version."""
    return {"request_id": request_id_of(scope), "api_version": API_VERSION}


def error_body(scope: AsgiScope, error: ApiError) -> bytes:
    # What an error adds to its code (``retry_after``, ``details``) goes in ``error`` (REST) or ``extensions``.
    extensions = error.extensions
    if not is_graphql(scope):
        extra = {name: value for name, value in extensions.items() if name != "code"}
        payload: dict[str, object] = {
            "error": {"code": error.code, "message": error.message, **extra},
            "meta": envelope_meta(scope),
        }
    else:
        # A GraphQL response refused before the endpoint: it carries ``extensions.cost`` as every GraphQL response
        # does, reporting that nothing was requested or charged.
        payload = {
            "errors": [{"message": error.message, "extensions": extensions}],
            "extensions": unexecuted_cost_extensions(),
        }
    return orjson.dumps(payload)


# On an answer sent before the request was read whole: the server then closes the connection rather than reading on.
CONNECTION_CLOSE = (b"connection", b"close")


def retry_after_header(seconds: int) -> tuple[bytes, bytes]:
    return (b"retry-after", str(seconds).encode())


async def send_error(
    scope: AsgiScope, send: Send, error: ApiError, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = error_body(scope, error)
    name_error(scope, error.code)
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

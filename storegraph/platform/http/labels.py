"""What a request is, in words of the server's making, for metrics, access logs and traces: the route template it
took, the GraphQL operation type it ran and the error code it was answered with.

Each layer that learns one of them names it on ``scope["state"]`` (the REST handler its row's template, the GraphQL
endpoint the operation's type, an error answer its code), and the observability middleware reads them once the
response is out. They are never text from the client, so the metrics' label values stay few.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope as AsgiScope

ROUTE = "route_template"
OPERATION = "operation_type"
ERROR_CODE = "error_code"


def _state(scope: AsgiScope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def name_route(scope: AsgiScope, template: str) -> None:
    """The template of the route that takes the request (``/v1/customers/{id}``)."""
    _state(scope)[ROUTE] = template


def name_operation(scope: AsgiScope, operation_type: str | None) -> None:
    """The type of the GraphQL operation the request ran (``query``, ``mutation``), if one did."""
    if operation_type:
        _state(scope)[OPERATION] = operation_type


def name_error(scope: AsgiScope, code: str) -> None:
    """The error code the request is answered with (``rate_limited``, ``throttled``...)."""
    _state(scope)[ERROR_CODE] = code


def label_of(scope: AsgiScope, name: str) -> str | None:
    value = (scope.get("state") or {}).get(name)
    return value if isinstance(value, str) else None

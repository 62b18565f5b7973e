"""The one handler behind every /v1 route: match the row, check the request's shape, run the row's GraphQL
operation in-process (the same schema, context and middleware stack as ``/graphql``), and answer in the envelope.

It holds no rule of its own: scopes, tenancy, validation of values and every business rule are the operation's.
What it checks first is only what GraphQL cannot express the documented way: the query string and body shape
(``validation_error`` with ``details[]``, before any work) and the row's scope (so a key without it is refused
before its body is even read).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson
from graphql import GraphQLSchema
from pydantic import ValidationError
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope
from strawberry.types.graphql import OperationType

from resolvers.core.context import RequestDatabase
from rest_compat.compile import CompiledEndpoint, compile_endpoint
from rest_compat.conditional import Identities, Validator, validator
from rest_compat.direct import DirectCall
from rest_compat.endpoint import Endpoint
from rest_compat.errors import from_graphql_errors, from_pydantic, from_user_errors
from rest_compat.representations import FRAGMENTS
from rest_compat.router import Router
from rest_compat.shapes import Fragments
from rest_compat.table import ENDPOINTS
from schema.core.compiled.fast_lane import Reshape
from storegraph.platform.auth.principal import principal_of
from storegraph.platform.errors import (
    ApiError,
    ErrorDetail,
    InsufficientScope,
    MethodNotAllowed,
    NoEndpoint,
    NotFound,
    ValidationFailed,
)
from storegraph.platform.http.body import read_body
from storegraph.platform.http.internal_error import send_failure
from storegraph.platform.http.labels import name_route
from storegraph.platform.http.responses import envelope_meta
from storegraph.platform.ids import parse_id
from storegraph.platform.jobs.queue import JobQueue

logger = logging.getLogger("storegraph.rest")

JSON = (b"content-type", b"application/json")
_READS = frozenset({OperationType.QUERY})
_WRITES = frozenset({OperationType.MUTATION})
NOT_MODIFIED = 304


class OperationRunner(Protocol):
    """Runs a GraphQL operation as the request's principal (what ``/graphql`` runs too): the block gets the status
    and the response, and the request's transaction commits only if the block finishes. A GET reads its store's
    version with the database ``reads`` gives, then runs its operation on that database: one connection."""

    def reads(self) -> RequestDatabase: ...

    def operation(
        self,
        scope: AsgiScope,
        request: dict[str, Any],
        allowed: frozenset[OperationType],
        *,
        charge_cost: bool,
        database: RequestDatabase | None = None,
        reshape: Reshape | None = None,
    ) -> OperationBlock: ...


class OperationBlock(AbstractAsyncContextManager[tuple[int, dict[str, Any]]], Protocol):
    """``OperationRunner.operation``'s block; once entered, whether the response's objects at the row's result are
    the REST ones, built by the ``reshape``'s plan."""

    rest_objects: bool


def compile_table(schema: GraphQLSchema, endpoints: Sequence[Endpoint] = ENDPOINTS) -> list[CompiledEndpoint]:
    fragments = Fragments(schema, FRAGMENTS)
    return [compile_endpoint(schema, fragments, endpoint) for endpoint in endpoints]


class RestApi:
    """The ASGI app for ``/v1``: auth, limits and idempotency already ran in the middleware around it."""

    def __init__(
        self,
        runner: OperationRunner,
        endpoints: Sequence[CompiledEndpoint],
        *,
        intake: JobQueue | None = None,
    ) -> None:
        self.runner = runner
        # Where direct rows (rest_compat/direct.py) queue their work.
        self.intake = intake
        self.endpoints = endpoints
        self.router = Router(endpoints)
        # What the GETs' ETags are made from, kept for the next requests.
        self.identities = Identities()

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        try:
            try:
                status, body, headers = await self._answer(scope, receive)
            except ApiError as error:
                status, headers = error.http_status, _error_headers(error)
                body = envelope_body(scope, _error_payload(error))
        except Exception as error:
            await send_failure(scope, send, error, logger, "unexpected error in /v1")
            return
        await _send_json(send, status, body, headers)

    async def _answer(self, scope: AsgiScope, receive: Receive) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """The status, the envelope's bytes and the headers of a success, or the ``ApiError`` to answer."""
        match = self.router.match(scope["method"], scope["path"])
        if match is None:
            raise NoEndpoint(scope["method"], scope["path"])
        if match.endpoint is None:
            raise MethodNotAllowed(scope["method"], scope["path"], match.allowed)
        compiled = match.endpoint
        row = compiled.endpoint
        name_route(scope, row.path)
        state = scope.setdefault("state", {})
        principal = principal_of(scope)
        if principal is None:  # the auth middleware guarantees one on /v1
            raise RuntimeError("/v1 reached without an authenticated principal")
        if row.scope is not None and not principal.has_scope(row.scope):
            state["usage_endpoint"] = compiled.label
            raise InsufficientScope(row.scope)
        path = _path_values(match.path_params)
        query = _query_values(row, scope.get("query_string", b""))
        raw = await _raw_body(receive)
        if row.direct is not None and self.intake is not None:
            state["usage_endpoint"] = compiled.label

            def checked_body() -> dict[str, Any]:
                try:
                    return _checked_body(row, raw) or {}
                except ValidationFailed:
                    # Refused before any work, as every other row's body is: not counted under the endpoint.
                    state.pop("usage_endpoint", None)
                    raise

            data = await row.direct(DirectCall(principal, raw, self.intake, checked_body))
            return row.status, envelope_body(scope, {"data": rest_data(compiled, {"data": data}, 200, None, {})}), []
        body = _checked_body(row, raw)
        if compiled.is_write:
            return await self._run(scope, compiled, path, query, body, None, None)
        # The ETag of the store's version is read on the database the operation then reads its data with.
        database = self.runner.reads() if row.conditional == "version" else None
        try:
            conditional = await validator(scope, principal, compiled, database, self.identities)
            if conditional.not_modified_before_running:
                state["usage_endpoint"] = compiled.label
                if database is not None:
                    await database.finish(commit=True)
                return NOT_MODIFIED, b"", conditional.answer(None)[1]
            return await self._run(scope, compiled, path, query, body, conditional, database)
        except BaseException:
            if database is not None:
                await database.finish(commit=False)  # nothing if the operation finished it already
            raise

    async def _run(
        self,
        scope: AsgiScope,
        compiled: CompiledEndpoint,
        path: dict[str, Any],
        query: dict[str, Any],
        body: dict[str, Any] | None,
        conditional: Validator | None,
        database: RequestDatabase | None,
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """Runs the row's operation (on ``database`` if given) and answers it."""
        row = compiled.endpoint
        variables = compiled.variables(path, query, body)
        allowed = _WRITES if compiled.is_write else _READS
        request = {"query": compiled.document, "variables": variables, "operationName": row.name}
        operation = self.runner.operation(
            scope, request, allowed, charge_cost=False, database=database, reshape=compiled.reshape
        )
        async with operation as (graphql_status, payload):
            scope["state"]["usage_endpoint"] = compiled.label
            # Converted and dumped inside the transaction: an error on the way (a value the envelope cannot hold,
            # an error GraphQL answered) ends it with a rollback, so an error answer never follows a commit.
            data = rest_data(compiled, payload, graphql_status, path.get("id"), variables, built=operation.rest_objects)
            answer = envelope_body(scope, {"data": data})
        if conditional is None:
            return row.status, answer, []
        not_modified, headers = conditional.answer(data)
        return (NOT_MODIFIED, b"", headers) if not_modified else (row.status, answer, headers)


def rest_data(
    compiled: CompiledEndpoint,
    payload: Mapping[str, Any],
    graphql_status: int,
    resource_id: Any,
    variables: Mapping[str, Any],
    *,
    built: bool = False,
) -> Any:
    """The REST ``data`` of a GraphQL response to ``variables``, or the ``ApiError`` it amounts to. ``built``: the
    objects at the row's result are the REST ones already (``CompiledEndpoint.reshape``)."""
    row = compiled.endpoint
    if payload.get("errors"):
        raise from_graphql_errors(payload["errors"], compiled.names, variables)
    if graphql_status != 200 or payload.get("data") is None:
        raise RuntimeError(f"{row.label}: GraphQL answered {graphql_status} without errors")
    data = payload["data"]
    if row.user_errors is not None:
        user_errors = _at(data, row.user_errors)
        if user_errors:
            raise from_user_errors(user_errors, compiled.names)
    result = _at(data, row.result)
    if result is None:
        raise NotFound(row.resource, resource_id if resource_id is not None else "")
    if row.result_kind == "all":
        return {"items": result if built else compiled.convert_many(result), "next_cursor": None, "has_more": False}
    if row.result_kind == "list":
        page_info = result["pageInfo"]
        head = {}
        if compiled.convert_head is not None:
            head = compiled.convert_head(_at(data, row.result.rsplit(".", 1)[0]))
        return {
            **head,
            "items": result["nodes"] if built else compiled.convert_many(result["nodes"]),
            "next_cursor": page_info["endCursor"] if page_info["hasNextPage"] else None,
            "has_more": page_info["hasNextPage"],
        }
    return result if built else compiled.convert(result)


def _at(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for name in path.split("."):
        if value is None:
            return None
        value = value[name]
    return value


def _path_values(params: Mapping[str, str]) -> dict[str, Any]:
    # Every path parameter of the table is an id: refused before any work if it cannot be one.
    return {name: parse_id(value, name) for name, value in params.items()}


def _query_values(row: Endpoint, query_string: bytes) -> dict[str, Any]:
    if not query_string and row.query is None:
        return {}
    try:
        pairs = query_pairs(query_string.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValidationFailed.single("query", "invalid", "the query string is not UTF-8") from None
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise ValidationFailed.single(name, "duplicate", f"{name} is given more than once")
        values[name] = value
    if row.query is None:
        if values:
            name = next(iter(values))
            raise ValidationFailed.single(name, "unknown_field", f"{name}: this endpoint takes no query parameters")
        return {}
    try:
        model = row.query.model_validate(values)
    except ValidationError as error:
        raise from_pydantic(error, location="query") from None
    return model.model_dump(mode="json")


def query_pairs(query: str) -> list[tuple[str, str]]:
    """``parse_qsl(query, keep_blank_values=True)``; a query string with nothing to unquote (no ``%``, no ``+``),
    as hot GETs send, split without its general machinery."""
    if "%" in query or "+" in query:
        return parse_qsl(query, keep_blank_values=True, strict_parsing=False)
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return pairs


async def _raw_body(receive: Receive) -> bytes:
    # A client that went away gets no answer anyway; what it sent so far is treated as the whole body.
    return await read_body(receive) or b""


def _checked_body(row: Endpoint, raw: bytes) -> dict[str, Any] | None:
    if row.body is None:
        if raw.strip():
            raise ValidationFailed.single("body", "unknown_field", "this endpoint takes no request body")
        return None
    if not raw.strip():
        raw = b"{}"
    try:
        model = row.body.model_validate_json(raw)
    except ValidationError as error:
        raise from_pydantic(error, location="body") from None
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True)
    return dumped


def _error_payload(error: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    body.update({name: value for name, value in error.extensions.items() if name != "code"})
    if isinstance(error, ValidationFailed) and "details" not in body:
        body["details"] = []
    return {"error": body}


def _error_headers(error: ApiError) -> list[tuple[bytes, bytes]]:
    extensions = error.extensions
    headers: list[tuple[bytes, bytes]] = []
    if "retry_after" in extensions:
        headers.append((b"retry-after", str(extensions["retry_after"]).encode()))
    if isinstance(error, MethodNotAllowed):
        headers.append(error.allow_header)
    return headers


def envelope_body(scope: AsgiScope, payload: dict[str, Any]) -> bytes:
    """``payload`` (``data`` or ``error``) with the envelope's ``meta``, as JSON."""
    payload["meta"] = envelope_meta(scope)
    return orjson.dumps(payload)


async def _send_json(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    # A 304 has no body, and says nothing of the one the client holds (its type and length are that answer's).
    framing = [] if status == NOT_MODIFIED else [JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*framing, *headers]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["ErrorDetail", "RestApi", "compile_table", "envelope_body", "rest_data"]

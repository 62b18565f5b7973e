"""``/graphql`` over HTTP as a plain ASGI app: JSON in, orjson out, GraphiQL for browsers (storegraph/graphiql_page.py).

Written directly on ASGI rather than through a framework view so that the hot path is parse body → execute
→ dump, with nothing in between.

It speaks the GraphQL-over-HTTP specification (docs/graphql.md#http): a POST body must be declared as JSON (a form or
``text/plain`` post, which a browser sends from any site without asking, is 415); a client that accepts
``application/graphql-response+json`` gets it, with 400 for a request that could not run (a document that does
not parse or validate, a bad variable, a limit); a client that accepts only ``application/json`` (or sends no
``Accept``) gets 200 for those, as GraphQL servers always answered, since its GraphQL response says what went wrong.
A request that is not a GraphQL request at all (a body that is not JSON, no ``query``) is 400 for both.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from db.direct_reads import DirectReads
from resolvers.core.context import Context, RequestDatabase
from resolvers.core.cursors import CursorCodec
from schema.core.build import StoregraphSchema, format_error, is_unexpected, root_cause
from schema.core.compiled.fast_lane import Reshape
from schema.core.cost import unexecuted_cost_extensions
from schema.core.usage_label import INVALID_LABEL
from storegraph.graphiql_page import GraphiQLPage
from storegraph.platform.auth.key_cache import KeyRevocations
from storegraph.platform.auth.principal import principal_of
from storegraph.platform.errors import ApiError, Throttled, UnsupportedMediaType
from storegraph.platform.http.body import read_body
from storegraph.platform.http.browser_assets import BrowserAssets
from storegraph.platform.http.graphql_ide import is_ide_request
from storegraph.platform.http.internal_error import send_failure
from storegraph.platform.http.labels import name_error, name_operation
from storegraph.platform.http.media import JSON, is_json_body, preferred_media_type
from storegraph.platform.http.persisted_queries import PersistedQueries, PersistedQueryNotFound
from storegraph.platform.http.request_id import request_id_of
from storegraph.platform.idempotency.policy import mark_mutation
from storegraph.platform.jobs.queue import JobQueue
from storegraph.platform.limits import RateLimiter
from storegraph.platform.limits.cost_budget import CostBudgets
from storegraph.platform.limits.headers import set_usage_endpoint
from storegraph.platform.overload import overloaded
from storegraph.settings import Settings

logger = logging.getLogger("storegraph.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
# The server's preference first: a client that accepts both equally gets the media type whose status says more.
RESPONSE_TYPES = (GRAPHQL_RESPONSE, JSON)
CONTENT_TYPES = {GRAPHQL_RESPONSE: b"application/graphql-response+json; charset=utf-8", JSON: b"application/json"}
JSON_HEADERS = [(b"content-type", b"application/json")]
# GET must not change anything, so it may only carry queries.
_ALLOWED_OPERATIONS = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}


class GraphQLRequestError(Exception):
    """The HTTP request does not carry a GraphQL request at all (bad JSON, no query, ...)."""


class GraphQLEndpoint:
    def __init__(
        self,
        schema: StoregraphSchema,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        cursors: CursorCodec,
        assets: BrowserAssets,
        cost_budgets: CostBudgets | None = None,
        key_revocations: KeyRevocations | None = None,
        rate_limiter: RateLimiter | None = None,
        job_queue: JobQueue | None = None,
        autocommit_reads: AsyncEngine | None = None,
        persisted_queries: PersistedQueries | None = None,
    ) -> None:
        self.schema = schema
        self.persisted_queries = persisted_queries
        self.autocommit_reads = autocommit_reads
        self.direct_reads = (
            DirectReads(autocommit_reads, share=2)
            if autocommit_reads is not None and autocommit_reads.dialect.driver == "asyncpg"
            else None
        )
        self.rate_limiter = rate_limiter
        self.job_queue = job_queue
        self.cost_budgets = cost_budgets
        self.key_revocations = key_revocations
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.cursors = cursors
        self.ide = GraphiQLPage(assets)

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if is_ide_request(scope):
            await self.ide.response()(scope, receive, send)
            return
        try:
            status, body, headers = await self._answer(scope, receive)
        except Exception as error:
            # Whatever escaped (a failed commit, the database gone): a JSON 500 that quotes the request id (503
            # when a pool stayed busy), not Starlette's plain-text one. The engine hides SQL parameters (PII).
            await send_failure(scope, send, error, logger, "unexpected error in /graphql")
            return
        await _send(send, status, body, headers)

    async def _answer(self, scope: AsgiScope, receive: Receive) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        media_type = preferred_media_type(scope, RESPONSE_TYPES, JSON)
        if scope["method"] == "POST" and not is_json_body(scope):
            set_usage_endpoint(scope, INVALID_LABEL, keep_existing=True)
            refusal = UnsupportedMediaType()
            return refusal.http_status, _unexecuted(refusal.message, refusal.extensions), JSON_HEADERS
        try:
            request = await _graphql_request(scope, receive)
            # A document named by its hash (docs/graphql.md#persisted-queries) is put in the request before it is read.
            registration = None if self.persisted_queries is None else await self.persisted_queries.resolve(request)
            _check_request(request)
        except GraphQLRequestError as error:
            set_usage_endpoint(scope, INVALID_LABEL, keep_existing=True)
            return 400, _unexecuted(str(error), {"code": "validation_error"}), _headers(400, {}, media_type)
        except ApiError as refusal:  # a persisted query's: Apollo's clients resend the text on a 200 not-found
            set_usage_endpoint(scope, INVALID_LABEL, keep_existing=True)
            status = 200 if isinstance(refusal, PersistedQueryNotFound) else 400
            return status, _unexecuted(refusal.message, refusal.extensions), _headers(status, {}, media_type)
        allowed = _ALLOWED_OPERATIONS[scope["method"]]
        async with self.operation(scope, request, allowed, charge_cost=True) as (status, payload):
            if status == 400 and media_type == JSON:
                # A GraphQL response to a GraphQL request that could not run: a legacy client reads it from a 200.
                status = 200
            # Inside the transaction: a response that cannot be written (a value orjson refuses) commits nothing.
            body = orjson.dumps(payload)
        if registration is not None and "data" in payload and self.persisted_queries is not None:
            await self.persisted_queries.register(registration)  # kept once it parsed, validated and ran
        return status, body, _headers(status, payload, media_type)

    def reads(self) -> RequestDatabase:
        """The database of a request that only reads, for a caller that reads before the operation runs (a /v1
        GET, its store's version) and then hands it to ``operation``."""
        database = RequestDatabase(self.sessionmaker, self.autocommit_reads, self.direct_reads)
        database.reads_only()
        return database

    def operation(
        self,
        scope: AsgiScope,
        request: dict[str, Any],
        allowed: frozenset[OperationType],
        *,
        charge_cost: bool,
        database: RequestDatabase | None = None,
        reshape: Reshape | None = None,
    ) -> OperationRun:
        """Runs one GraphQL request as the scope's principal, in one transaction: the block gets the status and
        the response, and the transaction ends with the block. It commits only if the block finishes and the
        operation had no unexpected error: whatever the caller still does with the response (dump it, convert it
        to REST) can fail, and a request that then answers an error must have changed nothing.

        ``/v1`` runs its table's operations through here too, with ``charge_cost=False``: a REST request is
        limited per request by the plan, not by the query-cost bucket that GraphQL clients draw on. It passes the
        ``database`` it read the store's version with (``reads``), which the operation then uses and finishes, and
        its row's ``reshape``: a plan that builds the row's REST objects itself (``OperationRun.rest_objects``).
        """
        return OperationRun(self, scope, request, allowed, charge_cost, database, reshape)


class OperationRun:
    """``GraphQLEndpoint.operation``'s block, written as a class: a generator-based context manager's machinery
    (the async generator, its hooks, the helper objects) cost a hot read more calls than the block's own work."""

    __slots__ = (
        "_allowed",
        "_charge_cost",
        "_commit",
        "_database",
        "_endpoint",
        "_request",
        "_reshape",
        "_scope",
        "rest_objects",
    )

    def __init__(
        self,
        endpoint: GraphQLEndpoint,
        scope: AsgiScope,
        request: dict[str, Any],
        allowed: frozenset[OperationType],
        charge_cost: bool,
        database: RequestDatabase | None,
        reshape: Reshape | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._scope = scope
        self._request = request
        self._allowed = allowed
        self._charge_cost = charge_cost
        # The transaction the block's end closes; None once the run closed it itself (a refused request).
        self._database = database
        self._commit = False
        self._reshape = reshape
        # Whether the answer holds the REST objects ``reshape``'s plan built (``Context.rest_objects``).
        self.rest_objects = False

    async def __aenter__(self) -> tuple[int, dict[str, Any]]:
        endpoint, scope, request = self._endpoint, self._scope, self._request
        principal = principal_of(scope)
        if principal is None:  # the auth middleware guarantees one; never serve data without it
            raise RuntimeError("/graphql reached without an authenticated principal")
        database = self._database
        if database is None:
            database = RequestDatabase(endpoint.sessionmaker, endpoint.autocommit_reads, endpoint.direct_reads)
            self._database = database
        budget = None
        if self._charge_cost and endpoint.cost_budgets is not None:
            budget = endpoint.cost_budgets.for_key(principal.key_pk)
        operation_name = request.get("operationName")
        variables = request.get("variables")
        context = Context(
            principal=principal,
            db=database,
            settings=endpoint.settings,
            cursors=endpoint.cursors,
            cost_budget=budget,
            key_revocations=endpoint.key_revocations,
            rate_limiter=endpoint.rate_limiter,
            job_queue=endpoint.job_queue,
            operation_name=operation_name,
        )
        fast_lane = endpoint.schema.fast_lane
        if fast_lane is not None:
            try:
                answer = await fast_lane.answer(
                    request["query"], variables, operation_name, context, self._allowed, self._reshape
                )
            except BaseException:
                if context.operation_type == "mutation":  # named as the standard way names what it ran
                    _name_request(scope, context)
                await database.finish(commit=False)
                raise
            if isinstance(answer, dict):
                _name_request(scope, context)
                self.rest_objects = context.rest_objects
                # The read's transaction closes with the block: rolled back if the block fails.
                self._commit = True
                return 200, answer
            if answer is not None:  # a mutation's result, answered as the standard way's
                _name_request(scope, context)
                return await self._answered(answer, database)
        try:
            result = await endpoint.schema.execute(
                request["query"],
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=self._allowed,
            )
        except (InvalidOperationTypeError, CannotGetOperationTypeError, MissingQueryError) as error:
            # A mutation over GET, a subscription, an operationName the document does not define, or an empty
            # document: the client's mistake, refused before anything ran (strawberry raises these instead of
            # returning them).
            await database.finish(commit=False)
            self._database = None
            if isinstance(error, InvalidOperationTypeError):
                status, reason = (405 if scope["method"] == "GET" else 400), error.as_http_error_reason(scope["method"])
            elif isinstance(error, CannotGetOperationTypeError):
                status, reason = 400, error.as_http_error_reason()
            else:
                status, reason = 400, "The document is empty."
            errors = [{"message": reason, "extensions": {"code": "validation_error"}}]
            return status, {"errors": errors, "extensions": unexecuted_cost_extensions()}
        except BaseException:
            await database.finish(commit=False)
            raise
        finally:
            _name_request(scope, context)
        return await self._answered(result, database)

    async def _answered(self, result: ExecutionResult, database: RequestDatabase) -> tuple[int, dict[str, Any]]:
        """The status and response of an operation's result, and whether the block's end commits."""
        # One transaction per request. Expected failures already rolled back their own savepoint (see
        # schema/core/payloads.py) and a refused read field changes nothing, so only an unexpected error,
        # which may have left work half done, rolls the request back.
        commit = not any(is_unexpected(error) for error in result.errors or ())
        scope = self._scope
        try:
            request_id = request_id_of(scope)
            payload: dict[str, Any] = {}
            if result.errors:
                payload["errors"] = [format_error(error, request_id) for error in result.errors]
            if _executed(result):
                # GraphQL's rule: a response has ``data`` once execution started, and none when a request error
                # stopped the operation before it (GraphQL-over-HTTP reads a 2xx into ``data``, even null).
                payload["data"] = result.data
            if result.extensions:
                payload["extensions"] = result.extensions
            status = _status_of(result)
            if status == 429:
                name_error(scope, Throttled.code)
        except BaseException:
            await database.finish(commit=False)
            raise
        self._commit = commit
        return status, payload

    async def __aexit__(
        self, error_type: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        database = self._database
        if database is not None:
            # A block that raised changes nothing: whatever failed after the operation must not follow a commit.
            await database.finish(commit=self._commit and error_type is None)


def _name_request(scope: AsgiScope, context: Context) -> None:
    """What the request ran, for the usage counters, metrics and logs, and idempotency, whichever way answered it.

    The usage label is set once the document is parsed (schema/core/usage_label.py); a caller that named the request
    already (the REST layer running an operation for /v1) keeps its name."""
    set_usage_endpoint(scope, context.usage_endpoint or INVALID_LABEL, keep_existing=True)
    name_operation(scope, context.operation_type)
    if context.operation_type == "mutation":
        mark_mutation(scope)  # only a mutation's answer is kept for an Idempotency-Key


def _headers(status: int, payload: dict[str, Any], media_type: str) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-type", CONTENT_TYPES[media_type])]
    if status == 405:  # only a mutation over GET: it is allowed over POST
        headers.append((b"allow", b"POST"))
    elif status in (429, 503):
        retry_after = max(int(error.get("extensions", {}).get("retry_after", 1)) for error in payload["errors"])
        headers.append((b"retry-after", str(retry_after).encode()))
    return headers


def _unexecuted(message: str, extensions: dict[str, Any]) -> bytes:
    """A GraphQL response for a request refused before any operation was looked at."""
    errors = [{"message": message, "extensions": extensions}]
    return orjson.dumps({"errors": errors, "extensions": unexecuted_cost_extensions()})


def _executed(result: ExecutionResult) -> bool:
    """Whether execution started: it returned data, or an error on a field (a path). A result with neither was
    refused before (syntax, validation, a variable's value, the cost limits and bucket)."""
    return result.data is not None or not result.errors or any(error.path is not None for error in result.errors)


def _status_of(result: ExecutionResult) -> int:
    """200 when the operation executed, even with field errors (500 if one of them was unexpected and left no
    data). One that never executed: 429 when the cost bucket refused it, 503 when a pool stayed busy, 500 when
    something else broke before it could run, else 400 (the client's document, variables or limits)."""
    if result.data is not None or not result.errors:
        return 200
    if any(overloaded(root_cause(error)) is not None for error in result.errors):
        return 503
    if any(is_unexpected(error) for error in result.errors):
        return 500
    if _executed(result):
        return 200
    if any(isinstance(root_cause(error), Throttled) for error in result.errors):
        return 429
    return 400


async def _graphql_request(scope: AsgiScope, receive: Receive) -> dict[str, Any]:
    if scope["method"] == "GET":
        params = {key: values[-1] for key, values in parse_qs(scope["query_string"].decode("latin-1")).items()}
        request: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if name in params:
                request[name] = _loads(params[name], name)
    else:
        request = _loads(await read_body(receive) or b"", "body")
    if not isinstance(request, dict):
        raise GraphQLRequestError("The request body must be a JSON object.")
    return request


def _check_request(request: dict[str, Any]) -> None:
    if not isinstance(request.get("query"), str):
        raise GraphQLRequestError("The request must have a 'query' string.")
    if request.get("variables") is not None and not isinstance(request["variables"], dict):
        raise GraphQLRequestError("'variables' must be an object.")
    if request.get("operationName") is not None and not isinstance(request["operationName"], str):
        raise GraphQLRequestError("'operationName' must be a string.")


def _loads(raw: bytes | str, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise GraphQLRequestError(f"The {what} is not valid JSON.") from None


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

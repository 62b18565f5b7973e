"""The schema object: types, document limits and caches, masked internal errors and the scope guards."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution import MiddlewareManager
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

from schema.catalog import reads as catalog_reads
from schema.core.compiled.compile import CompilerTables
from schema.core.compiled.fast_lane import FastLane
from schema.core.compiled.run import CompiledExecution
from schema.core.cost import CostLimits, QueryCost, QueryCostAnalyzer
from schema.core.documents import DocumentCache, DocumentLimits
from schema.core.fast_leaves import StoregraphExecutionContext, install_fast_leaves
from schema.core.permissions import install_scope_guards
from schema.core.scalars import SCALAR_MAP
from schema.core.usage_label import UsageLabel
from schema.customers import reads as customer_reads
from schema.delivery import reads as delivery_reads
from schema.keys import reads as key_reads
from schema.mutation import Mutation
from schema.orders import reads as order_reads
from schema.query import Query
from schema.reviews import reads as review_reads
from schema.stores import reads as store_reads
from schema.tracking import reads as tracking_reads
from schema.usage import reads as usage_reads
from schema.webhooks import reads as webhook_reads
from storegraph.platform.errors import ApiError
from storegraph.platform.http.internal_error import masked_message
from storegraph.platform.overload import overloaded, pool_exhaustion

logger = logging.getLogger("storegraph.graphql")


class StoregraphSchema(strawberry.Schema):
    # Set by ``build_schema``: the plans that answer covered queries without graphql-core's per-field execution.
    compiled: CompiledExecution | None = None
    # Set by ``build_schema``: covered queries answered by their plan without strawberry's execution wrapper.
    fast_lane: FastLane | None = None

    async def _execute_operation(
        self,
        execution_context: ExecutionContext,
        extensions_runner: SchemaExtensionsRunner,
        middleware_manager: MiddlewareManager,
        execute_function: Callable[..., Any],
        custom_context_kwargs: dict[str, Any],
    ) -> Any:
        """Execution itself, by the operation's plan when it has one; everything around it is unchanged."""
        compiled, query = self.compiled, execution_context.query
        if compiled is not None and query:
            execute_function = functools.partial(compiled.execute, query, execute_function)
        return await super()._execute_operation(
            execution_context, extensions_runner, middleware_manager, execute_function, custom_context_kwargs
        )

    async def execute_answered(
        self,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
        middleware: MiddlewareManager,
    ) -> GraphQLExecutionResult:
        """graphql-core's execution of ``document`` with ``middleware``, given what ``execute`` gives it (for the
        fast lane's mutations: schema/core/compiled/fast_lane.py)."""
        result: GraphQLExecutionResult = await await_maybe(
            self._get_execute_function()(
                self._schema,
                document,
                root_value=None,
                middleware=middleware,
                variable_values=variables,
                operation_name=operation_name,
                context_value=context,
                is_awaitable=optimized_is_awaitable,
                **execution_context_class_kwargs(self.execution_context_class),
                **self._get_custom_context_kwargs(None),
            )
        )
        return result

    def report_errors(self, errors: list[GraphQLError]) -> None:
        """What ``execute`` does with a result's errors."""
        self._process_errors(errors)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Expected errors (an ``ApiError``) are answers, not incidents: log only the unexpected, with stack."""
        for error in errors:
            original = root_cause(error)
            if overloaded(original) is not None:
                # Load, not a bug: answered 503 ``overloaded``; the line says which pool ran dry, without a stack.
                logger.warning("overloaded in %s: %r", error.path, pool_exhaustion(original))
            elif is_unexpected(error):
                logger.error("unexpected error in %s", error.path, exc_info=original or error.original_error or error)
            elif original is not None and not isinstance(original, ApiError):
                # A scalar refused the client's value with a plain exception: answered as validation_error,
                # but a scalar should raise GraphQLError with a message written for the client. Only the type
                # is logged: the exception's text may quote the client's value (a phone, an email).
                logger.warning("input refused with %s at %s", type(original).__name__, error.locations)


def build_schema(
    cost_limits: CostLimits | None = None, document_limits: DocumentLimits | None = None
) -> StoregraphSchema:
    documents = DocumentCache(document_limits or DocumentLimits.defaults())
    query_cost = QueryCost(
        cost_limits or CostLimits.defaults(), QueryCostAnalyzer(max_bytes=documents.limits.cache_bytes)
    )
    schema = StoregraphSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        execution_context_class=StoregraphExecutionContext,
        extensions=[
            documents.extension,
            query_cost.extension,
            UsageLabel,
        ],
    )
    install_scope_guards(schema._schema)
    install_fast_leaves(schema._schema)
    batched = {
        **customer_reads.BATCHED,
        **order_reads.BATCHED,
        **catalog_reads.BATCHED,
        **delivery_reads.BATCHED,
        **review_reads.BATCHED,
        **store_reads.BATCHED,
        **key_reads.BATCHED,
        **webhook_reads.BATCHED,
        **usage_reads.BATCHED,
        **tracking_reads.BATCHED,
    }
    tables = CompilerTables(schema._schema, schema.schema_converter, batched)
    schema.compiled = CompiledExecution(tables, documents.limits.cache_bytes)
    schema.fast_lane = FastLane(documents, query_cost, schema.compiled, schema)
    return schema


def root_cause(error: GraphQLError) -> BaseException | None:
    """The exception behind ``error``. graphql-core wraps a bad variable value's GraphQLError in another
    GraphQLError (as its ``original_error``): that is still the client's error, not an internal one."""
    original: BaseException | None = error.original_error
    while isinstance(original, GraphQLError):
        original = original.original_error
    return original


def is_unexpected(error: GraphQLError) -> bool:
    """An error the client did not cause, answered as a masked ``internal_error`` (and the request rolled back;
    one caused by a pool that stayed busy is rolled back too, and answered as ``overloaded``):

    - during execution (the error has a ``path``), anything but an ``ApiError``: an exception in a resolver, or
      a result value its type cannot represent (graphql-core raises a bare GraphQLError, an enum value the
      schema does not know, an ``Int`` over 32 bits), which fails after the resolver's work was done;
    - before execution, a Python exception that does not point into the document: strawberry wraps whatever
      escaped parsing, validation or an extension that way.

    Errors without a path that point into the document (syntax, validation, a variable's value refused by its
    type) are the client's: ``validation_error``.
    """
    original = root_cause(error)
    if isinstance(original, ApiError):
        return False
    if error.path is not None:
        return True
    return original is not None and not error.nodes


def format_error(error: GraphQLError, request_id: str | None) -> dict[str, Any]:
    """The error as the client sees it: expected errors keep their code; anything else is masked, as
    ``overloaded`` when a pool that stayed busy caused it, else as ``internal_error``."""
    original = root_cause(error)
    if isinstance(original, ApiError):
        return dict(error.formatted)
    if not is_unexpected(error):
        formatted = error.formatted
        formatted["extensions"] = {"code": "validation_error", **(error.extensions or {})}
        return dict(formatted)
    busy = overloaded(original)
    masked: dict[str, Any] = (
        {"message": busy.message, "extensions": busy.extensions}
        if busy is not None
        else {"message": masked_message(request_id), "extensions": {"code": "internal_error"}}
    )
    if error.path is not None:
        masked["path"] = error.path
    if error.locations is not None:
        masked["locations"] = [location._asdict() for location in error.locations]
    return masked

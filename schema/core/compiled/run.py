"""Compiled execution in front of graphql-core's: a covered query runs its plan, a covered mutation its resolver
and plan (mutation.py); anything else, and any run the plan cannot answer exactly, runs graphql-core's executor,
which stays the reference.

The schema hands every execution to ``CompiledExecution.execute`` with graphql-core's own execute function;
everything around execution (parsing and validation through their caches, the cost limits, budget and
``extensions.cost``, the usage label, error formatting) is the same for both ways, since it happens outside.
Plans are cached by the document's text, the operation's name and the values of the ``@skip``/``@include``
variables, within the same budget of document bytes as the parsed and validated documents (a document the
compiler does not cover is remembered as such). A query plan's run only reads, in the request's transaction: when
it gives up, its DataLoaders are forgotten and graphql-core runs the operation in that transaction as it would have
from the start (a mutation's is handed over without running its resolver again: mutation.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution import MiddlewareManager
from graphql.execution.values import VariableValues, get_variable_values
from graphql.pyutils import is_awaitable as default_is_awaitable
from strawberry.utils.await_maybe import await_maybe

from resolvers.core.context import Context
from schema.core.compiled.compile import (
    CompilerTables,
    compile_mutation,
    compile_operation,
    condition_variables,
)
from schema.core.compiled.mutation import Answered, MutationPlan, MutationRun
from schema.core.compiled.plan import NotExact, Plan, Run
from schema.core.compiled.variables import PlainVariables
from schema.core.text_cache import TextCache

logger = logging.getLogger("storegraph.graphql")

# graphql-core's own limit on variable coercion errors (its ``execute`` default).
MAX_COERCION_ERRORS = 50


class _NotCovered:
    """Cached for a document the compiler does not cover, so it is not compiled again."""


NOT_COVERED = _NotCovered()
# Plans an operation's entry keeps by the values of its ``@skip``/``@include`` variables (most operations have none,
# so one plan); past these the text-keyed cache answers, which bounds what a client sending many values can grow.
KEPT_PER_OPERATION = 8


@dataclass(slots=True)
class OperationPlans:
    """What one (document, operation name) needs to find its plan without a lookup by its text: the variables its
    ``@skip``/``@include`` read (``None``: no plan covers it), how its variables coerce, and the plans found so far.
    A caller that keeps one per operation (the fast lane's entry) hands it to ``prepare``."""

    conditions: tuple[str, ...] | None
    plain: PlainVariables | None
    plans: dict[tuple[object, ...], Plan | MutationPlan | _NotCovered] = field(default_factory=dict)


@dataclass(slots=True)
class CompiledCounts:
    """Requests by the way they were answered: by a plan, by graphql-core after a plan gave up, or by graphql-core
    because no plan covers them."""

    compiled: int = 0
    # Of the compiled: answered by the fast lane, without strawberry's execution wrapper (fast_lane.py).
    fast: int = 0
    fell_back: int = 0
    not_covered: int = 0
    # Of the compiled: mutations (schema/core/compiled/mutation.py).
    mutations: int = 0


class CompiledExecution:
    def __init__(self, tables: CompilerTables, max_bytes: int) -> None:
        self.tables = tables
        self.counts = CompiledCounts()
        # Off: every request runs the standard way (the reference for the differential tests).
        self.enabled = True
        self._conditions: TextCache[str, tuple[str, ...] | _NotCovered] = TextCache(max_bytes)
        self._plans: TextCache[tuple[str, str | None, tuple[object, ...]], Plan | MutationPlan | _NotCovered] = (
            TextCache(max_bytes)
        )
        self._variables: TextCache[tuple[str, str | None], PlainVariables | _NotCovered] = TextCache(max_bytes)

    async def execute(
        self, query: str, standard: Callable[..., Any], schema: GraphQLSchema, document: DocumentNode, **kwargs: Any
    ) -> Any:
        """What graphql-core's ``execute(schema, document, **kwargs)`` answers, by the plan when there is one."""
        result = await self._compiled(query, standard, schema, document, kwargs) if self.enabled else None
        if result is not None:
            return result
        return await await_maybe(standard(schema, document, **kwargs))

    async def _compiled(
        self,
        query: str,
        standard: Callable[..., Any],
        schema: GraphQLSchema,
        document: DocumentNode,
        kwargs: dict[str, Any],
    ) -> ExecutionResult | None:
        context = kwargs.get("context_value")
        middleware = kwargs.get("middleware")
        if (
            schema is not self.tables.schema
            or not isinstance(context, Context)
            or kwargs.get("root_value") is not None
            or (middleware is not None and middleware.middlewares)
        ):
            return self._not_covered()
        operation_name: str | None = kwargs.get("operation_name")
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return self._not_covered()
        if operation.operation is OperationType.MUTATION:
            return await self._mutation(query, standard, document, operation, context, kwargs)
        if operation.operation is not OperationType.QUERY:
            return self._not_covered()
        prepared = self.prepare(query, document, operation, operation_name, kwargs.get("variable_values"))
        if prepared is None:
            return self._not_covered()
        plan, variables = prepared
        principal = context.principal
        if not all(principal.has_scope(scope) for scope in plan.scopes):
            return self._fell_back("a scope the key does not hold")
        try:
            data = await Run(context, variables).root(plan)
        except Exception as error:
            # graphql-core then runs as from the start, in the same transaction (the run only read): the order of
            # its errors follows the order its fields finish in, which a DataLoader's cached answer would change.
            context.loaders.clear()
            return self._fell_back(_reason(error))
        self.counts.compiled += 1
        return ExecutionResult(data=data, errors=None)

    async def _mutation(
        self,
        query: str,
        standard: Callable[..., Any],
        document: DocumentNode,
        operation: OperationDefinitionNode,
        context: Context,
        kwargs: dict[str, Any],
    ) -> ExecutionResult | None:
        """A mutation by its plan (schema/core/compiled/mutation.py). Until its resolver runs, ``None`` hands the
        operation to graphql-core; after, graphql-core may only complete what the resolver answered."""
        operation_name: str | None = kwargs.get("operation_name")
        prepared = self._prepared(query, document, operation, operation_name, kwargs.get("variable_values"))
        if prepared is None or not isinstance(prepared[0], MutationPlan):
            return self._not_covered()
        plan, variables = prepared[0], prepared[1]
        principal = context.principal
        if not all(principal.has_scope(scope) for scope in plan.scopes):
            return self._fell_back("a scope the key does not hold")
        try:
            arguments = plan.arguments.values(variables)
        except Exception as error:
            # Refused before the resolver runs: graphql-core reports it as the field's error.
            return self._fell_back(_reason(error))
        is_awaitable = kwargs.get("is_awaitable") or default_is_awaitable

        async def answered(middleware: MiddlewareManager) -> ExecutionResult:
            result: ExecutionResult = await await_maybe(
                standard(self.tables.schema, document, **{**kwargs, "middleware": middleware})
            )
            return result

        result, _ = await self.mutate(plan, variables, arguments, operation, context, is_awaitable, answered)
        return result

    async def mutate(
        self,
        plan: MutationPlan,
        variables: VariableValues,
        arguments: dict[str, Any],
        operation: OperationDefinitionNode,
        context: Context,
        is_awaitable: Callable[[Any], TypeGuard[Awaitable[Any]]],
        answered: Callable[[MiddlewareManager], Awaitable[ExecutionResult]],
    ) -> tuple[ExecutionResult, bool]:
        """Runs a prepared mutation plan's resolver once, and its result with whether the plan completed it:
        ``answered`` (graphql-core's execution with the given middleware) completes it, or reports the resolver's
        error, where the plan cannot."""
        run = MutationRun(plan, context, variables, self.tables.schema, operation, plan.fragments, is_awaitable)
        context.db.one_mutation()  # one root field, then its payload: its work may run on the driver
        outcome = await run.outcome(arguments)
        if outcome.error is None:
            try:
                data = await run.completed(outcome.value)
            except Exception as error:
                context.loaders.clear()
                logger.debug("compiled execution gave way to the standard one: %s", _reason(error))
            else:
                self.counts.compiled += 1
                self.counts.mutations += 1
                return ExecutionResult(data=data, errors=None), True
        # graphql-core completes the resolver's answer, or reports its error, without running it again.
        self.counts.fell_back += 1
        return await answered(MiddlewareManager(Answered(outcome))), False

    def operation_plans(
        self, query: str, document: DocumentNode, operation: OperationDefinitionNode, operation_name: str | None
    ) -> OperationPlans:
        """What ``prepare`` looks up by the text each time, once, for a caller that keeps it with the operation."""
        conditions = self._conditions_of(query, document)
        plain = self._plain_of(query, operation, operation_name)
        return OperationPlans(
            None if isinstance(conditions, _NotCovered) else conditions,
            None if isinstance(plain, _NotCovered) else plain,
        )

    def prepare(
        self,
        query: str,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        operation_name: str | None,
        raw_variables: dict[str, Any] | None,
        kept: OperationPlans | None = None,
    ) -> tuple[Plan, VariableValues] | None:
        """The plan of a query operation for these variables, with the variables coerced; ``None`` if no plan covers
        it or the variables do not coerce (graphql-core then reports their errors). With ``kept`` (this operation's
        ``operation_plans``) nothing is looked up by the text but a plan not kept yet."""
        prepared = self._prepared(query, document, operation, operation_name, raw_variables, kept)
        if prepared is None or not isinstance(prepared[0], Plan):
            return None
        return prepared[0], prepared[1]

    def prepare_mutation(
        self,
        query: str,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        operation_name: str | None,
        raw_variables: dict[str, Any] | None,
        kept: OperationPlans,
    ) -> tuple[MutationPlan, VariableValues] | None:
        """``prepare`` for a mutation operation: its plan and coerced variables, or ``None``."""
        prepared = self._prepared(query, document, operation, operation_name, raw_variables, kept)
        if prepared is None or not isinstance(prepared[0], MutationPlan):
            return None
        return prepared[0], prepared[1]

    def _prepared(
        self,
        query: str,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        operation_name: str | None,
        raw_variables: dict[str, Any] | None,
        kept: OperationPlans | None = None,
    ) -> tuple[Plan | MutationPlan, VariableValues] | None:
        if kept is None:
            found = self._conditions_of(query, document)
            conditions = None if isinstance(found, _NotCovered) else found
            plain = self._plain_of(query, operation, operation_name)
        else:
            conditions = kept.conditions
            plain = NOT_COVERED if kept.plain is None else kept.plain
        if conditions is None:
            return None
        variables = self._coerce(plain, operation, raw_variables or {})
        if variables is None:
            return None
        values = tuple(variables.coerced.get(name) for name in conditions)
        if not all(value is None or isinstance(value, bool) for value in values):
            return None
        plan = None if kept is None else kept.plans.get(values)
        if plan is None:
            key = (query, operation_name, values)
            plan = self._plans.get(key)
            if plan is None:
                compile_plan = compile_mutation if operation.operation is OperationType.MUTATION else compile_operation
                plan = compile_plan(self.tables, document, operation_name, variables) or NOT_COVERED
                self._plans.put(key, query, plan)
            if kept is not None and len(kept.plans) < KEPT_PER_OPERATION:
                kept.plans[values] = plan
        return None if isinstance(plan, _NotCovered) else (plan, variables)

    def _conditions_of(self, query: str, document: DocumentNode) -> tuple[str, ...] | _NotCovered:
        conditions = self._conditions.get(query)
        if conditions is None:
            found = condition_variables(document)
            conditions = NOT_COVERED if found is None else found
            self._conditions.put(query, query, conditions)
        return conditions

    def _plain_of(
        self, query: str, operation: OperationDefinitionNode, operation_name: str | None
    ) -> PlainVariables | _NotCovered:
        key = (query, operation_name)
        plain = self._variables.get(key)
        if plain is None:
            found = PlainVariables.of(self.tables.schema, operation.variable_definitions or ())
            plain = NOT_COVERED if found is None else found
            self._variables.put(key, query, plain)
        return plain

    def _coerce(
        self, plain: PlainVariables | _NotCovered, operation: OperationDefinitionNode, given: dict[str, Any]
    ) -> VariableValues | None:
        """The variables as graphql-core coerces them; ``None`` where it refuses them (it then reports why)."""
        if not isinstance(plain, _NotCovered):
            coerced = plain.coerce(given)
            if coerced is not None:
                return coerced
        variables = get_variable_values(
            self.tables.schema, operation.variable_definitions or (), given, MAX_COERCION_ERRORS
        )
        return None if isinstance(variables, list) else variables

    def _not_covered(self) -> ExecutionResult | None:
        """Counted; no result, so graphql-core runs the operation."""
        self.counts.not_covered += 1
        return None

    def _fell_back(self, reason: str) -> ExecutionResult | None:
        """Counted; no result, so graphql-core runs the operation again, and answers it its own way."""
        logger.debug("compiled execution gave way to the standard one: %s", reason)
        self.counts.fell_back += 1
        return None


def _reason(error: Exception) -> str:
    return str(error) if isinstance(error, NotExact) else type(error).__name__

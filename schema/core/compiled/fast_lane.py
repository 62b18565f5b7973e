"""The fast lane: a covered query answered by its plan without strawberry's execution wrapper around it.

strawberry's ``execute`` builds an execution context, enters every extension's hooks and merges their results
for each request; for a small read that costs about as much as running the plan. When the document is already
known to parse and validate (the document cache says so), the operation is a query with a plan, the key holds
the plan's scopes and the cost is within the limits, this module does what those steps would have done:
the usage label and the read-only transaction on the context, the cost charged and settled on the key's budget,
``extensions.cost`` beside the data. Anything else, including a plan's run that gives up, answers ``None`` with
nothing charged and nothing counted twice, and the endpoint runs the standard way, which then answers exactly as
it always did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeGuard, cast

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    specified_rules,
)
from graphql import ExecutionResult as CoreResult
from graphql.execution import MiddlewareManager
from graphql.execution.values import VariableValues
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as AllowedType

from resolvers.core.context import Context
from schema.core.compiled.compile import condition_variables
from schema.core.compiled.mutation import MutationPlan
from schema.core.compiled.plan import Plan, Run
from schema.core.compiled.run import KEPT_PER_OPERATION, CompiledExecution, OperationPlans
from schema.core.cost import CostBudget, QueryCost
from schema.core.cost_analysis import CostPlan, cost_values
from schema.core.documents import DocumentCache
from schema.core.text_cache import TextCache
from schema.core.usage_label import operation_label
from storegraph.platform.limits.cost_budget import ThrottleStatus


@dataclass(slots=True)
class _Operation:
    """A document that parses and validates, and the query operation a request names in it, with all a request
    of it looks up: one lookup by the text per request finds its plans, cost plans and usage labels."""

    document: DocumentNode
    operation: OperationDefinitionNode
    # Usage labels by the values of the variables that ``@skip``/``@include`` read (the label names the root
    # fields execution reaches).
    conditions: tuple[str, ...]
    plans: OperationPlans
    # The variables that can change the cost, and cost plans by their values (``KEPT_PER_OPERATION`` at most; the
    # analyzer's cache answers the others).
    cost_names: tuple[str, ...]
    costs: dict[tuple[object, ...], CostPlan] = field(default_factory=dict)
    labels: dict[tuple[object, ...], str] = field(default_factory=dict)


class StandardExecution(Protocol):
    """What the schema does around graphql-core's execution that a mutation the lane runs may need."""

    async def execute_answered(
        self,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Context,
        middleware: MiddlewareManager,
    ) -> CoreResult:
        """graphql-core's execution, called as strawberry calls it, with ``middleware``."""
        ...

    def report_errors(self, errors: list[GraphQLError]) -> None:
        """What strawberry does with a result's errors (the schema's ``process_errors``: the log)."""
        ...


# A plan whose objects somewhere are built in another form (``answer``'s ``reshape``); ``None``: not this plan.
Reshape = Callable[[Plan], Plan | None]


class _NotFast:
    """Cached for a request the fast lane leaves to the standard way whatever its variables."""


NOT_FAST = _NotFast()
# The rules strawberry validates by (its execution context's default; no extension of the schema adds any): the
# document cache keeps one validation per text, whichever way asked first.
STANDARD_RULES = tuple(specified_rules)
# What strawberry gives graphql-core to tell an awaitable result (typed as graphql-core types its own).
IS_AWAITABLE = cast(Callable[[Any], TypeGuard[Awaitable[Any]]], optimized_is_awaitable)
# The operation types the lane answers, as the endpoint names the types it allows.
_ALLOWED_AS = {OperationType.QUERY: AllowedType.QUERY, OperationType.MUTATION: AllowedType.MUTATION}


class FastLane:
    def __init__(
        self,
        documents: DocumentCache,
        query_cost: QueryCost,
        compiled: CompiledExecution,
        standard: StandardExecution,
    ) -> None:
        self._documents = documents
        self._query_cost = query_cost
        self._compiled = compiled
        self._standard = standard
        self._operations: TextCache[tuple[str, str | None], _Operation | _NotFast] = TextCache(
            documents.limits.cache_bytes
        )

    async def answer(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Context,
        allowed: Collection[AllowedType],
        reshape: Reshape | None = None,
    ) -> dict[str, Any] | ExecutionResult | None:
        """The response the standard way would give, or ``None`` to run that way: a query's (``data`` and
        ``extensions``), or a mutation's result (``mutate``). ``allowed``: the operation types the request may run
        (the standard way refuses the others).

        ``reshape`` (a /v1 row's) makes a query's plan build some objects in another form (the REST ones) where it
        gives a plan; ``context.rest_objects`` then says so. Their ``extensions.cost`` is the requested cost: the
        actual one is counted over GraphQL's objects, and /v1 charges no cost."""
        compiled = self._compiled
        if not compiled.enabled:
            return None
        known = self._operation(query, operation_name)
        if isinstance(known, _NotFast):
            return None
        kind = known.operation.operation
        if _ALLOWED_AS[kind] not in allowed:
            return None
        if kind is OperationType.MUTATION:
            return await self.mutate(known, query, variables, operation_name, context)
        prepared = compiled.prepare(query, known.document, known.operation, operation_name, variables, known.plans)
        if prepared is None:
            return None
        plan, coerced = prepared
        reshaped = None if reshape is None else reshape(plan)
        principal = context.principal
        # Held by name (one set operation), or else through the write scopes that include their read scopes.
        if not plan.scopes <= principal.scopes and not all(principal.has_scope(scope) for scope in plan.scopes):
            return None  # the standard way answers the refused fields with their errors
        cost_plan = self._cost_plan(known, query, operation_name, variables)
        requested = cost_plan.requested
        limits = self._query_cost.limits
        if requested.depth > limits.max_depth or requested.cost > limits.max_cost:
            return None
        budget = context.cost_budget
        status: ThrottleStatus | None = None
        if budget is not None:
            charge = await budget.charge(requested.cost)
            if not charge.accepted:
                return None  # nothing taken: the standard way asks again and answers the refusal
            status = charge.status
        context.operation_type = OperationType.QUERY.value
        context.db.reads_only()
        context.usage_endpoint = self._label(known, operation_name, variables)
        try:
            data = await Run(context, coerced).root(plan if reshaped is None else reshaped)
        except Exception:
            # The standard way runs as from the start and decides (with the plan again, or graphql-core).
            context.loaders.clear()
            if budget is not None:
                await budget.refund(requested.cost)
            return None
        compiled.counts.compiled += 1
        compiled.counts.fast += 1
        if reshaped is not None:
            context.rest_objects = True
        actual = requested.cost if reshaped is not None else cost_plan.actual(data)
        if budget is not None and requested.cost > actual:
            status = await budget.refund(requested.cost - actual)
        return {"data": data, "extensions": _cost(requested.cost, actual, status)}

    async def mutate(
        self,
        known: _Operation,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Context,
    ) -> ExecutionResult | None:
        """A mutation by its plan (``CompiledExecution.mutate``), with what strawberry's execution would have done
        around it: the usage label, the cost limits and the budget's charge and settlement, ``extensions.cost``, the
        errors' log. ``None`` (nothing charged or run) to run it the standard way from the start; once its
        resolver ran, the result, errors included, as the standard way would have answered it."""
        compiled = self._compiled
        try:
            ready = self._ready(known, query, variables, operation_name, context)
        except Exception:
            return None  # the standard way meets it again, and answers it its own way
        if ready is None:
            return None
        plan, coerced, arguments, cost_plan = ready
        requested = cost_plan.requested.cost
        context.operation_type = OperationType.MUTATION.value
        context.usage_endpoint = self._label(known, operation_name, variables)
        budget = context.cost_budget
        charged = await _charged(budget, requested)
        if charged is False:
            return None
        status = None if charged is True else charged
        standard = self._standard

        async def answered(middleware: MiddlewareManager) -> CoreResult:
            return await standard.execute_answered(known.document, variables, operation_name, context, middleware)

        try:
            result, by_plan = await compiled.mutate(
                plan, coerced, arguments, known.operation, context, IS_AWAITABLE, answered
            )
        except Exception as error:
            # Escaped graphql-core's execution: strawberry answers it as a request error, the charge kept.
            return self._failed(error, requested, None, status)
        if by_plan:
            compiled.counts.fast += 1
        errors = result.errors
        if errors:
            standard.report_errors(errors)
        actual = None if result.data is None else cost_plan.actual(result.data)
        if actual is not None:
            refund = requested - actual
        else:  # nothing ran keeps nothing; a run that answered no data keeps its charge
            refund = 0 if any(error.path for error in errors or ()) else requested
        if budget is not None and refund > 0:
            try:
                status = await budget.refund(refund)
            except Exception as error:
                return self._failed(error, requested, actual, status)
        return ExecutionResult(data=result.data, errors=errors, extensions=_cost(requested, actual, status))

    def _ready(
        self,
        known: _Operation,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Context,
    ) -> tuple[MutationPlan, VariableValues, dict[str, Any], CostPlan] | None:
        """All that may refuse a mutation before its resolver runs, settled: its plan, variables, arguments and
        cost plan, or ``None`` for the standard way."""
        prepared = self._compiled.prepare_mutation(
            query, known.document, known.operation, operation_name, variables, known.plans
        )
        if prepared is None:
            return None
        plan, coerced = prepared
        principal = context.principal
        if not plan.scopes <= principal.scopes and not all(principal.has_scope(scope) for scope in plan.scopes):
            return None
        cost_plan = self._cost_plan(known, query, operation_name, variables)
        limits = self._query_cost.limits
        if cost_plan.requested.depth > limits.max_depth or cost_plan.requested.cost > limits.max_cost:
            return None
        # A refusal of the arguments is the field's error, which the standard way reports.
        arguments = plan.arguments.values(coerced)
        return plan, coerced, arguments, cost_plan

    def _failed(
        self, exception: Exception, requested: int, actual: int | None, status: ThrottleStatus | None
    ) -> ExecutionResult:
        """What strawberry answers for an exception out of execution or its extensions' hooks around it."""
        error = (
            exception if isinstance(exception, GraphQLError) else GraphQLError(str(exception), original_error=exception)
        )
        self._standard.report_errors([error])
        return ExecutionResult(data=None, errors=[error], extensions=_cost(requested, actual, status))

    def _operation(self, query: str, operation_name: str | None) -> _Operation | _NotFast:
        key = (query, operation_name)
        known = self._operations.get(key)
        if known is None:
            known = self._known(query, operation_name)
            self._operations.put(key, query, known)
        return known

    def _known(self, query: str, operation_name: str | None) -> _Operation | _NotFast:
        try:
            document = self._documents.parse(query)
        except GraphQLError:
            return NOT_FAST
        schema = self._compiled.tables.schema
        if self._documents.validate(schema, document, query, STANDARD_RULES):
            return NOT_FAST
        # None for an unknown name, and for a document of several operations when none is named.
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation not in (OperationType.QUERY, OperationType.MUTATION):
            return NOT_FAST
        conditions = condition_variables(document)
        if conditions is None:
            return NOT_FAST
        plans = self._compiled.operation_plans(query, document, operation, operation_name)
        cost_names = self._query_cost.analyzer.variable_names(query, document)
        return _Operation(document, operation, conditions, plans, cost_names)

    def _cost_plan(
        self, known: _Operation, query: str, operation_name: str | None, variables: dict[str, Any] | None
    ) -> CostPlan:
        """The analyzer's cost plan for these variables, kept with the operation."""
        values = cost_values(variables, known.cost_names)
        plan = known.costs.get(values)
        if plan is None:
            schema = self._compiled.tables.schema
            plan = self._query_cost.analyzer.plan(schema, known.document, operation_name, variables, query=query)
            if len(known.costs) < KEPT_PER_OPERATION:
                known.costs[values] = plan
        return plan

    def _label(
        self,
        known: _Operation,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> str:
        # The plan coerced these variables to booleans or null, so their values are hashable.
        given = variables or {}
        values = tuple((name in given, given.get(name)) for name in known.conditions) if known.conditions else ()
        label = known.labels.get(values)
        if label is None:
            label = operation_label(self._compiled.tables.schema, known.document, operation_name, variables)
            known.labels[values] = label
        return label


async def _charged(budget: CostBudget | None, requested: int) -> ThrottleStatus | bool:
    """The status after charging ``requested`` to ``budget``; ``True`` without a budget, ``False`` when the charge
    was refused or failed (nothing taken: the standard way asks again and answers it)."""
    if budget is None:
        return True
    try:
        charge = await budget.charge(requested)
    except Exception:
        return False
    return charge.status if charge.accepted else False


def _cost(requested: int, actual: int | None, status: ThrottleStatus | None) -> dict[str, Any]:
    throttle = status.as_dict() if status is not None else None
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": throttle}}

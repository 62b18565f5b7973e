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

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    specified_rules,
)

from resolvers.core.context import Context
from schema.core.compiled.compile import condition_variables
from schema.core.compiled.plan import Run
from schema.core.compiled.run import KEPT_PER_OPERATION, CompiledExecution, OperationPlans
from schema.core.cost import QueryCost
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


class _NotFast:
    """Cached for a request the fast lane leaves to the standard way whatever its variables."""


NOT_FAST = _NotFast()
# The rules strawberry validates by (its execution context's default; no extension of the schema adds any): the
# document cache keeps one validation per text, whichever way asked first.
STANDARD_RULES = tuple(specified_rules)


class FastLane:
    def __init__(self, documents: DocumentCache, query_cost: QueryCost, compiled: CompiledExecution) -> None:
        self._documents = documents
        self._query_cost = query_cost
        self._compiled = compiled
        self._operations: TextCache[tuple[str, str | None], _Operation | _NotFast] = TextCache(
            documents.limits.cache_bytes
        )

    async def answer(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None, context: Context
    ) -> dict[str, Any] | None:
        """The response (``data`` and ``extensions``) the standard way would give, or ``None`` to run that way."""
        compiled = self._compiled
        if not compiled.enabled:
            return None
        known = self._operation(query, operation_name)
        if isinstance(known, _NotFast):
            return None
        prepared = compiled.prepare(query, known.document, known.operation, operation_name, variables, known.plans)
        if prepared is None:
            return None
        plan, coerced = prepared
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
            data = await Run(context, coerced).root(plan)
        except Exception:
            # The standard way runs as from the start and decides (with the plan again, or graphql-core).
            context.loaders.clear()
            if budget is not None:
                await budget.refund(requested.cost)
            return None
        compiled.counts.compiled += 1
        compiled.counts.fast += 1
        actual = cost_plan.actual(data)
        if budget is not None and requested.cost > actual:
            status = await budget.refund(requested.cost - actual)
        cost = {
            "requestedQueryCost": requested.cost,
            "actualQueryCost": actual,
            "throttleStatus": status.as_dict() if status is not None else None,
        }
        return {"data": data, "extensions": {"cost": cost}}

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
        if operation is None or operation.operation is not OperationType.QUERY:
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

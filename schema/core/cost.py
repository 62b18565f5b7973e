"""The query cost extension: refuses an operation over the cost or depth limit, or over the key's cost budget,
before it runs, and reports ``extensions.cost`` on every response, Shopify-style.

How costs are counted is in schema/core/cost_analysis.py and docs/cost.md; the budget a request draws from is the
``CostBudget`` of storegraph/platform/limits/cost_budget.py, which the limiter puts in the request context.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from schema.core.cost_analysis import CostPlan, QueryCostAnalyzer, RequestedCost
from storegraph.platform.errors import ApiError, QueryTooCostly, QueryTooDeep, Throttled
from storegraph.platform.limits.cost_budget import (
    CostBudget,
    CostCharge,
    MemoryCostBudget,
    ThrottleStatus,
    unexecuted_cost_extensions,
)
from storegraph.settings import Settings

__all__ = [
    "CostBudget",
    "CostCharge",
    "CostLimits",
    "CostPlan",
    "MemoryCostBudget",
    "QueryCost",
    "QueryCostAnalyzer",
    "QueryCostExtension",
    "RequestedCost",
    "ThrottleStatus",
    "unexecuted_cost_extensions",
]


@dataclass(frozen=True, slots=True)
class CostLimits:
    max_cost: int
    max_depth: int

    @classmethod
    def from_settings(cls, settings: Settings) -> CostLimits:
        return cls(max_cost=settings.max_query_cost, max_depth=settings.max_query_depth)

    @classmethod
    def defaults(cls) -> CostLimits:
        """The settings' defaults, without reading the environment (for ``export-schema`` and tests)."""
        fields = Settings.model_fields
        return cls(max_cost=fields["max_query_cost"].default, max_depth=fields["max_query_depth"].default)


@dataclass(frozen=True, slots=True)
class QueryCost:
    """The per-schema half of the cost extension: the limits and the analyzer with its caches."""

    limits: CostLimits
    analyzer: QueryCostAnalyzer

    def extension(self) -> QueryCostExtension:
        """The factory strawberry calls once per request."""
        return QueryCostExtension(self)


class QueryCostExtension(SchemaExtension):
    """Refuses an operation over the cost or depth limit, or over the key's cost budget, before it runs; reports
    ``extensions.cost`` on every response; refunds the budget what the operation was charged beyond its actual
    cost."""

    def __init__(self, query_cost: QueryCost) -> None:
        super().__init__()
        self._query_cost = query_cost
        self._requested = 0
        self._actual: int | None = None
        self._status: ThrottleStatus | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        plan = self._plan()
        requested = plan.requested
        self._requested = requested.cost
        budget = self._budget()
        refusal = self._over_limits(requested) or await self._charge(budget, requested.cost)
        if refusal is not None:
            # A result set before execution replaces it: strawberry then skips graphql-core's execute.
            error = GraphQLError(refusal.message, original_error=refusal)
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
            yield
            return
        yield
        await self._settle(budget, plan)

    async def get_results(self) -> dict[str, Any]:
        budget = self._budget()
        if self._status is None and budget is not None:
            # Refused before execution (syntax, validation, limits): report the bucket without charging it.
            self._status = (await budget.charge(0)).status
        return {
            "cost": {
                "requestedQueryCost": self._requested,
                "actualQueryCost": self._actual,
                "throttleStatus": self._status.as_dict() if self._status else None,
            }
        }

    def _budget(self) -> CostBudget | None:
        budget: CostBudget | None = getattr(self.execution_context.context, "cost_budget", None)
        return budget

    def _plan(self) -> CostPlan:
        context = self.execution_context
        assert context.graphql_document is not None  # execution comes only after parsing succeeded
        return self._query_cost.analyzer.plan(
            context.schema._schema,
            context.graphql_document,
            context.operation_name,
            context.variables,
            query=context.query,
        )

    async def _charge(self, budget: CostBudget | None, requested: int) -> Throttled | None:
        if budget is None:
            return None
        charge = await budget.charge(requested)
        self._status = charge.status
        return None if charge.accepted else _throttled(requested, charge)

    async def _settle(self, budget: CostBudget | None, plan: CostPlan) -> None:
        """Computes the actual cost from the result and refunds the budget what was charged beyond it."""
        result = self.execution_context.result
        if isinstance(result, ExecutionResult) and result.data is not None:
            self._actual = plan.actual(result.data)
        refund = self._refund(plan.requested.cost, result)
        if budget is not None and refund > 0:
            self._status = await budget.refund(refund)

    def _over_limits(self, requested: RequestedCost) -> ApiError | None:
        limits = self._query_cost.limits
        if requested.depth > limits.max_depth:
            return QueryTooDeep(requested.depth, limits.max_depth)
        if requested.cost > limits.max_cost:
            return QueryTooCostly(requested.cost, limits.max_cost)
        return None

    def _refund(self, requested: int, result: object) -> int:
        """What goes back to the bucket: the charge beyond the actual cost, or all of it if nothing ran (a
        variable refused before execution). An operation that ran but returned no data keeps its charge."""
        if self._actual is not None:
            return requested - self._actual
        ran = isinstance(result, ExecutionResult) and any(error.path for error in result.errors or ())
        return 0 if ran else requested


def _throttled(requested: int, charge: CostCharge) -> Throttled:
    wait = charge.seconds_until(requested)
    retry_after = math.ceil(wait) if math.isfinite(wait) else 0
    return Throttled(requested, math.floor(charge.status.currently_available), max(retry_after, 1))

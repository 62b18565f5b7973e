"""The ``usage`` (the calling key's requests) and ``quotas`` (the store's monthly quotas) reports.

Both read the limiter only, never the database. Reading them is a request like any other: it was counted by the
rate-limit middleware before it ran, and reading the window (``peek``) takes no slot of it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from resolvers.core.context import Context
from storegraph.platform.limits import WINDOW_SECONDS, RateLimiter, WindowState, periods_at
from storegraph.platform.limits.plans import Plan, effective_plan, effective_plan_name


@dataclass(frozen=True, slots=True)
class EndpointUsageSource:
    label: str
    minute: int
    day: int
    month: int


@dataclass(frozen=True, slots=True)
class RateLimitSource:
    limit: int | None
    remaining: int | None
    reset_at: datetime | None
    window_seconds: int


@dataclass(frozen=True, slots=True)
class UsageSource:
    requests_this_minute: int
    requests_today: int
    requests_this_month: int
    endpoints: list[EndpointUsageSource]
    rate_limit: RateLimitSource


@dataclass(frozen=True, slots=True)
class QuotaUseSource:
    limit: int | None
    used: int
    remaining: int | None


@dataclass(frozen=True, slots=True)
class QuotasSource:
    plan: str
    requests_per_month: QuotaUseSource
    signups_per_month: QuotaUseSource
    webhooks_per_month: QuotaUseSource
    requests_per_minute: int | None
    public_requests_per_month: QuotaUseSource
    public_requests_per_minute: int | None
    period_end: datetime


async def key_usage(context: Context) -> UsageSource:
    limiter = _limiter(context)
    key_pk = context.principal.key_pk
    counts, endpoints, window = await asyncio.gather(
        limiter.usage(key_pk), limiter.endpoint_usage(key_pk), limiter.peek(key_pk, _plan(context))
    )
    return UsageSource(
        requests_this_minute=counts["minute"],
        requests_today=counts["day"],
        requests_this_month=counts["month"],
        endpoints=_endpoint_rows(endpoints),
        rate_limit=_rate_limit(window),
    )


async def store_quotas(context: Context) -> QuotasSource:
    used = await _limiter(context).store_usage(context.store_id)
    plan = _plan(context)
    return QuotasSource(
        plan=effective_plan_name(context.settings.plans, context.principal.plan),
        requests_per_month=quota_use(plan.requests_per_month, used["requests"]),
        signups_per_month=quota_use(plan.signups_per_month, used["signups"]),
        webhooks_per_month=quota_use(plan.webhooks_per_month, used["webhooks"]),
        requests_per_minute=plan.requests_per_minute,
        public_requests_per_month=quota_use(plan.public_requests_per_month, used["public_requests"]),
        public_requests_per_minute=plan.public_requests_per_minute,
        period_end=_moment(periods_at(time.time()).month_end),
    )


def quota_use(limit: int | None, used: int) -> QuotaUseSource:
    # ``used`` can pass a limit that was lowered mid-month: nothing remains, rather than a negative amount.
    remaining = None if limit is None else max(limit - used, 0)
    return QuotaUseSource(limit=limit, used=used, remaining=remaining)


def _endpoint_rows(endpoints: dict[str, dict[str, int]]) -> list[EndpointUsageSource]:
    rows = [
        EndpointUsageSource(label=label, minute=counts["minute"], day=counts["day"], month=counts["month"])
        for label, counts in endpoints.items()
    ]
    return sorted(rows, key=lambda row: (-row.month, row.label))


def _rate_limit(window: WindowState) -> RateLimitSource:
    return RateLimitSource(
        limit=window.limit,
        remaining=window.remaining,
        reset_at=_moment(window.reset) if window.reset is not None else None,
        window_seconds=WINDOW_SECONDS,
    )


def _plan(context: Context) -> Plan:
    """The limits the rate-limit middleware applies to this key (a store on an unknown plan gets the fallback)."""
    return effective_plan(context.settings.plans, context.principal.plan)


def _limiter(context: Context) -> RateLimiter:
    if context.rate_limiter is None:
        # A wiring mistake, not the client's: answered as internal_error (and logged).
        raise RuntimeError("the GraphQL context has no rate limiter: pass rate_limiter to GraphQLEndpoint")
    return context.rate_limiter


def _moment(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)

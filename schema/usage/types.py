"""The ``usage`` and ``quotas`` reports (docs/limits.md). Plain object fields: each report is read whole by its
root field's resolver (resolvers/usage.py), from the limiter, without touching the database."""

from __future__ import annotations

import strawberry

from schema.core.scalars import DateTime


@strawberry.type(description="The calling key's answered requests under one endpoint label, in the current periods.")
class EndpointUsage:
    label: str = strawberry.field(
        description="`graphql <operation type> <root fields>` (e.g. `graphql query customers,store`), "
        "`graphql invalid`, a REST route (`GET /v1/customers/{id}`) or `other`."
    )
    minute: int
    day: int
    month: int


@strawberry.type(description="The calling key's sliding window, as it is after this request.")
class RateLimitState:
    limit: int | None = strawberry.field(description="Requests per window; null when the plan has no such limit.")
    remaining: int | None
    reset_at: DateTime | None = strawberry.field(
        description="When the oldest request in the window leaves it, freeing a slot; null when nothing is in it."
    )
    window_seconds: int


@strawberry.type(
    description="The calling key's admitted requests, this one included, in the current minute, day and month (UTC)."
)
class Usage:
    requests_this_minute: int
    requests_today: int
    requests_this_month: int
    endpoints: list[EndpointUsage] = strawberry.field(
        description="Per endpoint label, most used this month first. Counted once a response is sent, so this "
        "request is not among them yet."
    )
    rate_limit: RateLimitState


@strawberry.type(description="One monthly quota of the store: its limit and how much of it is used.")
class QuotaUse:
    limit: int | None = strawberry.field(description="Null: unlimited.")
    used: int
    remaining: int | None = strawberry.field(description="Null when unlimited.")


@strawberry.type(description="The store's plan and its monthly quotas, shared by all the store's keys.")
class Quotas:
    plan: str = strawberry.field(description="The plan whose limits apply.")
    requests_per_month: QuotaUse
    signups_per_month: QuotaUse
    webhooks_per_month: QuotaUse
    requests_per_minute: int | None = strawberry.field(description="Per key; null when the plan has no such limit.")
    public_requests_per_month: QuotaUse = strawberry.field(
        description="The requests of the store's public keys (the signed POST /v1/signups and POST /v1/events): a "
        "quota of their own, apart from `requestsPerMonth`, which only platform keys draw on."
    )
    public_requests_per_minute: int | None = strawberry.field(
        description="Per public key; null when the plan has no such limit."
    )
    period_end: DateTime = strawberry.field(description="When the quotas renew: 00:00 UTC on the 1st.")

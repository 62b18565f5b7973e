from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from resolvers.core.context import Info
from resolvers.stores import plan_limits
from schema.core.scalars import DateTime


@strawberry.type(description="Limits of a plan; null means unlimited.")
class PlanLimits:
    requests_per_minute: int | None
    requests_per_month: int | None
    signups_per_month: int | None
    webhooks_per_month: int | None
    public_requests_per_minute: int | None = strawberry.field(
        description="Per public key: the signed POST /v1/signups and POST /v1/events, limited apart from platform keys."
    )
    public_requests_per_month: int | None = strawberry.field(
        description="The store's public keys together, apart from `requestsPerMonth` (platform keys only)."
    )


@strawberry.type
class Store:
    id: strawberry.ID
    name: str
    slug: str
    currency: str
    phone_region: str = strawberry.field(description="Region used to normalise customer phone numbers.")
    plan: str
    settings: JSON
    metadata: JSON
    created_at: DateTime
    updated_at: DateTime

    @strawberry.field(description="The limits of the store's plan.")
    def limits(self, info: Info) -> PlanLimits:
        return cast("PlanLimits", plan_limits(info.context, self.plan))


@strawberry.type(description="The calling key and its store: what GET /v1/whoami returns.")
class Viewer:
    key_id: str
    key_type: str
    env: str
    scopes: list[str]
    store_id: strawberry.ID
    store_name: str
    plan: str

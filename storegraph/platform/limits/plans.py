"""Plans and their limits (the DZBuild API v1 pricing table). Operators override or add plans through settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# A store whose plan the configuration no longer has gets the most restrictive default plan.
FALLBACK_PLAN = "free"

# GraphQL reports limits as Int (32-bit); a larger limit is as good as ``None`` (unlimited) anyway.
Limit = Annotated[int, Field(ge=0, le=2**31 - 1)] | None


class Plan(BaseModel):
    """Limits of one plan; ``None`` means unlimited."""

    model_config = ConfigDict(frozen=True)

    requests_per_minute: Limit
    requests_per_month: Limit
    signups_per_month: Limit
    webhooks_per_month: Limit
    # Public-key traffic (the signed POST /v1/signups and POST /v1/events, whose signing secret sits in a page)
    # has limits of its own, per public key and per store, so a page can never use up what the merchant's own
    # platform keys run on. Left out, each is the plan's platform limit (the same numbers, counted apart).
    public_requests_per_minute: Limit = None
    public_requests_per_month: Limit = None

    @model_validator(mode="before")
    @classmethod
    def _public_limits_default_to_the_platform_ones(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            data.setdefault("public_requests_per_minute", data.get("requests_per_minute"))
            data.setdefault("public_requests_per_month", data.get("requests_per_month"))
        return data


DEFAULT_PLANS: dict[str, Plan] = {
    "free": Plan(requests_per_minute=30, requests_per_month=10_000, signups_per_month=100, webhooks_per_month=1_000),
    "pro": Plan(
        requests_per_minute=300,
        requests_per_month=500_000,
        signups_per_month=5_000,
        webhooks_per_month=50_000,
    ),
    "pro_api": Plan(
        requests_per_minute=1_200,
        requests_per_month=5_000_000,
        signups_per_month=50_000,
        webhooks_per_month=500_000,
    ),
    "enterprise": Plan(
        requests_per_minute=6_000, requests_per_month=None, signups_per_month=None, webhooks_per_month=None
    ),
}


def effective_plan_name(plans: Mapping[str, Plan], name: str) -> str:
    """The plan whose limits apply to a store on plan ``name``: that one, or ``FALLBACK_PLAN`` if it is unknown."""
    return name if name in plans else FALLBACK_PLAN


def effective_plan(plans: Mapping[str, Plan], name: str) -> Plan:
    return plans[effective_plan_name(plans, name)]

"""The usage endpoints: the calling key's counters and the store's quotas."""

from __future__ import annotations

from rest_compat.endpoint import Endpoint
from storegraph.platform.auth.scopes import Scope

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="GetUsage",
        method="GET",
        path="/v1/usage",
        conditional="content",
        scope=Scope.USAGE_READ,
        summary="The calling key's requests this minute, day and month, per endpoint, and its rate-limit window",
        operation="query GetUsage { usage { ...Usage } }",
        result="usage",
        fragment="Usage",
        resource="Usage",
    ),
    Endpoint(
        name="GetQuotas",
        method="GET",
        path="/v1/quotas",
        conditional="content",
        scope=Scope.USAGE_READ,
        summary="The store's plan limits and how much of each monthly quota is used",
        operation="query GetQuotas { quotas { ...Quotas } }",
        result="quotas",
        fragment="Quotas",
        resource="Quotas",
    ),
)

"""API key scopes: the seed's default platform scopes plus the three granted only explicitly."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    STORE_READ = "store:read"
    STORE_WRITE = "store:write"
    PRODUCTS_READ = "products:read"
    PRODUCTS_WRITE = "products:write"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    LANDING_PAGES_READ = "landing_pages:read"
    LANDING_PAGES_WRITE = "landing_pages:write"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    USAGE_READ = "usage:read"
    KEYS_READ = "keys:read"
    KEYS_WRITE = "keys:write"


# Seed 004: "Default scopes (platform key)".
DEFAULT_PLATFORM_SCOPES: tuple[Scope, ...] = (
    Scope.STORE_READ,
    Scope.STORE_WRITE,
    Scope.PRODUCTS_READ,
    Scope.PRODUCTS_WRITE,
    Scope.ORDERS_READ,
    Scope.ORDERS_WRITE,
    Scope.CUSTOMERS_READ,
    Scope.LANDING_PAGES_READ,
    Scope.LANDING_PAGES_WRITE,
    Scope.WEBHOOKS_READ,
    Scope.WEBHOOKS_WRITE,
    Scope.USAGE_READ,
)

ALL_SCOPES: tuple[Scope, ...] = tuple(Scope)


def parse_scopes(raw: str | list[str] | tuple[str, ...]) -> tuple[Scope, ...]:
    """Turn ``"a,b"`` or a list into scopes; raises ``ValueError`` naming the first unknown one."""
    items = [part.strip() for part in (raw.split(",") if isinstance(raw, str) else raw)]
    scopes: list[Scope] = []
    for item in items:
        if not item:
            continue
        try:
            scope = Scope(item)
        except ValueError:
            raise ValueError(f"unknown scope {item!r}") from None
        if scope not in scopes:
            scopes.append(scope)
    return tuple(scopes)

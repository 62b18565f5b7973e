"""API key scopes: the documented default platform scopes plus the five granted only explicitly, the internal
scope of public keys, and the one rule of what a key's scopes let it do (``holds``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
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
    # The right to erasure (docs/erasure.md): irreversible, so granted only explicitly and never included by
    # customers:write nor by any default set.
    CUSTOMERS_ERASE = "customers:erase"
    # Customers' reviews and their moderation: granted only explicitly, like customers:write and the keys scopes.
    REVIEWS_READ = "reviews:read"
    REVIEWS_WRITE = "reviews:write"
    # Held implicitly by every public key and by nothing else: the signed tracking endpoints (POST /v1/signups,
    # POST /v1/events). No platform key can be given it, so a leaked platform key never writes tracking data
    # and a public key embedded in a page never reaches anything else.
    TRACKING_WRITE = "tracking:write"


# The DZBuild API v1 post's "Default scopes (platform key)".
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

# Scopes no platform key may hold (the CLI and createApiKey refuse them).
INTERNAL_SCOPES: frozenset[Scope] = frozenset({Scope.TRACKING_WRITE})
# Every scope a platform key can hold.
ALL_SCOPES: tuple[Scope, ...] = tuple(scope for scope in Scope if scope not in INTERNAL_SCOPES)
# What a public key holds, whatever its row says: it can only call the tracking endpoints.
PUBLIC_KEY_SCOPES: frozenset[str] = frozenset({Scope.TRACKING_WRITE.value})


# A write scope includes its read scope (Shopify's rule): a key that may change an object may see it, so a
# mutation's payload, the REST answer of a write and the reads all agree on what a write-only key sees.
# tracking:write has no read scope: reading tracked data needs customers:read or usage:read.
WRITE_SCOPE_OF_READ: dict[str, str] = {
    Scope.STORE_READ: Scope.STORE_WRITE,
    Scope.PRODUCTS_READ: Scope.PRODUCTS_WRITE,
    Scope.ORDERS_READ: Scope.ORDERS_WRITE,
    Scope.CUSTOMERS_READ: Scope.CUSTOMERS_WRITE,
    Scope.LANDING_PAGES_READ: Scope.LANDING_PAGES_WRITE,
    Scope.WEBHOOKS_READ: Scope.WEBHOOKS_WRITE,
    Scope.KEYS_READ: Scope.KEYS_WRITE,
    Scope.REVIEWS_READ: Scope.REVIEWS_WRITE,
}


def holds(scopes: Collection[str], scope: str) -> bool:
    """Whether a key holding ``scopes`` has ``scope``: named, or included by the write scope it holds."""
    return scope in scopes or WRITE_SCOPE_OF_READ.get(scope, "") in scopes


def lacking(held: Collection[str], needed: Iterable[str]) -> list[str]:
    """The scopes of ``needed`` that a key holding ``held`` does not have, once each, in ``needed``'s order."""
    return [scope for scope in dict.fromkeys(needed) if not holds(held, scope)]

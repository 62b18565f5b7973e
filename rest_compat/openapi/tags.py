"""The document's tags: one per resource the rows name (``Endpoint.resource``), each with what it is."""

from __future__ import annotations

from collections.abc import Iterable

from rest_compat.openapi.common import DocumentError, JsonObject

TAG_DESCRIPTIONS: dict[str, str] = {
    "Key": "API keys: the calling key, and the store's platform and public keys, created and revoked.",
    "Store": "The store the key belongs to: its name, settings, metadata, plan and the plan's limits.",
    "Product": "The catalogue's products, with their pricing, inventory, slug and status.",
    "Order": "Orders with their items, customer, delivery and totals, moved through the order status machine.",
    "Customer": "The store's customers, with their order totals and fraud score, and each customer's orders.",
    "Customer address": "An address of a customer's address book (at most 20, exactly one the default), under "
    "its customer's path.",
    "Delivery zone": "The store's delivery zones: wilayas grouped with the home and desk fees checkout charges.",
    "Review": "Customers' reviews of delivered orders, their moderation and the merchant's responses, and "
    "their statistics.",
    "Landing page": "Campaign landing pages, each optionally featuring one product.",
    "Webhook": "Subscriptions that receive the store's events as signed HTTP deliveries, and their delivery logs.",
    "Webhook delivery": "A logged webhook delivery, sent again on request.",
    "Usage": "The calling key's request counters and its rate-limit window.",
    "Quotas": "The store's plan limits and how much of each monthly quota is used.",
    "Tracking": "Signups and events sent from a storefront with a public key, and their daily counts.",
}


def tags(resources: Iterable[str]) -> list[JsonObject]:
    """The tags of ``resources`` in their order, described; a resource without a description is a bug."""
    listed = list(dict.fromkeys(resources))
    if missing := [name for name in listed if name not in TAG_DESCRIPTIONS]:
        raise DocumentError(f"no tag description for {missing}: add them to TAG_DESCRIPTIONS")
    if unused := sorted(set(TAG_DESCRIPTIONS) - set(listed)):
        raise DocumentError(f"tag descriptions for resources no row names: {unused}")
    return [{"name": name, "description": TAG_DESCRIPTIONS[name]} for name in listed]

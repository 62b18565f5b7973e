"""The root Mutation type, merged from one class per resource (schema/mutations/)."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.mutations.api_keys import ApiKeyMutations
from schema.mutations.customers import CustomerMutations
from schema.mutations.landing_pages import LandingPageMutations
from schema.mutations.orders import OrderMutations
from schema.mutations.products import ProductMutations
from schema.mutations.store import StoreMutations
from schema.mutations.tracking import TrackingMutations
from schema.mutations.webhook_deliveries import WebhookDeliveryMutations
from schema.mutations.webhook_subscriptions import WebhookSubscriptionMutations

Mutation = merge_types(
    "Mutation",
    (
        OrderMutations,
        ProductMutations,
        LandingPageMutations,
        StoreMutations,
        ApiKeyMutations,
        WebhookSubscriptionMutations,
        WebhookDeliveryMutations,
        CustomerMutations,
        TrackingMutations,
    ),
)

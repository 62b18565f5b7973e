"""The root Mutation type, merged from one class per resource (schema/mutations/)."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.catalog.mutations import LandingPageMutations, ProductMutations
from schema.customers.address_mutations import CustomerAddressMutations
from schema.customers.ledger_mutations import CustomerLedgerMutations
from schema.customers.mutations import CustomerMutations
from schema.customers.profile_mutations import CustomerProfileMutations
from schema.delivery.mutations import DeliveryZoneMutations
from schema.keys.mutations import ApiKeyMutations
from schema.orders.mutations import OrderMutations
from schema.reviews.mutations import ReviewMutations
from schema.stores.mutations import StoreMutations
from schema.tracking.mutations import TrackingMutations
from schema.webhooks.mutations import WebhookDeliveryMutations, WebhookSubscriptionMutations

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
        CustomerAddressMutations,
        DeliveryZoneMutations,
        CustomerProfileMutations,
        CustomerLedgerMutations,
        TrackingMutations,
        ReviewMutations,
    ),
)

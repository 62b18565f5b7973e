"""Root query fields. Each is a thin call into resolvers/; its scope is checked by the guard (permissions.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast

import strawberry

from resolvers.core.context import Info
from resolvers.stores import viewer
from schema.catalog import reads as catalog_reads
from schema.catalog.inputs import LandingPageFilter, ProductFilter, ProductSort
from schema.catalog.types import LandingPage, Product
from schema.core.connections import Connection
from schema.customers import reads as customer_reads
from schema.customers.inputs import CustomerFilter, CustomerSort
from schema.customers.types import Customer, CustomerTag
from schema.delivery import reads as delivery_reads
from schema.delivery.types import DeliveryZone
from schema.keys import reads as key_reads
from schema.keys.types import ApiKey
from schema.orders import reads as order_reads
from schema.orders.inputs import OrderFilter, OrderSort
from schema.orders.types import Order
from schema.reviews import reads as review_reads
from schema.reviews.inputs import ReviewFilter
from schema.reviews.types import Review, ReviewStats
from schema.stores import reads as store_reads
from schema.stores.types import Store, Viewer
from schema.tracking import reads as tracking_reads
from schema.tracking.types import EventCounts, Signup
from schema.usage import reads as usage_reads
from schema.usage.types import Quotas, Usage
from schema.webhooks import reads as webhook_reads
from schema.webhooks.types import WebhookDelivery, WebhookSubscription

FIRST = strawberry.argument(description="Page size, 1–200.")


@strawberry.type
class Query:
    @strawberry.field(description="The calling key and its store. Needs only a valid key.")
    def viewer(self, info: Info) -> Viewer:
        return cast("Viewer", viewer(info.context))

    @strawberry.field(description="Same as `viewer`, named after GET /v1/whoami.")
    def whoami(self, info: Info) -> Viewer:
        return cast("Viewer", viewer(info.context))

    @strawberry.field
    async def store(self, info: Info) -> Store | None:
        return cast("Store", await store_reads.store(info.context))

    @strawberry.field
    async def customers(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: CustomerFilter | None = None,
        sort: CustomerSort | None = None,
    ) -> Connection[Customer] | None:
        return cast("Connection[Customer]", await customer_reads.customers(info.context, first, after, filter, sort))

    @strawberry.field
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        return cast("Customer", await customer_reads.customer(info.context, id))

    @strawberry.field(description="The store's delivery zones, oldest first, each with its wilayas and fees.")
    async def delivery_zones(self, info: Info) -> list[DeliveryZone] | None:
        return cast("list[DeliveryZone]", await delivery_reads.delivery_zones(info.context))

    @strawberry.field(description="The store's customer tags with their counts, in alphabetical order ignoring case.")
    async def customer_tags(self, info: Info) -> list[CustomerTag]:
        return cast("list[CustomerTag]", await customer_reads.store_customer_tags(info.context))

    @strawberry.field(description="Orders, newest first unless sorted otherwise.")
    async def orders(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: OrderFilter | None = None,
        sort: OrderSort | None = None,
    ) -> Connection[Order] | None:
        return cast("Connection[Order]", await order_reads.orders(info.context, first, after, filter, sort))

    @strawberry.field
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        return cast("Order", await order_reads.order(info.context, id))

    @strawberry.field
    async def products(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: ProductFilter | None = None,
        sort: ProductSort | None = None,
    ) -> Connection[Product] | None:
        return cast("Connection[Product]", await catalog_reads.products(info.context, first, after, filter, sort))

    @strawberry.field
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        return cast("Product", await catalog_reads.product(info.context, id))

    @strawberry.field
    async def landing_pages(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: LandingPageFilter | None = None,
    ) -> Connection[LandingPage] | None:
        page = await catalog_reads.landing_pages(info.context, first, after, filter)
        return cast("Connection[LandingPage]", page)

    @strawberry.field
    async def landing_page(self, info: Info, id: strawberry.ID) -> LandingPage | None:
        return cast("LandingPage", await catalog_reads.landing_page(info.context, id))

    @strawberry.field(description="The store's API keys, revoked ones included, newest first. Never a secret.")
    async def api_keys(self, info: Info, first: int = 50, after: str | None = None) -> Connection[ApiKey] | None:
        return cast("Connection[ApiKey]", await key_reads.api_keys(info.context, first, after))

    @strawberry.field(description="The store's webhook subscriptions, newest first. Never a signing secret.")
    async def webhook_subscriptions(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[WebhookSubscription] | None:
        page = await webhook_reads.webhook_subscriptions(info.context, first, after)
        return cast("Connection[WebhookSubscription]", page)

    @strawberry.field(description="A subscription's delivery attempts, newest first, each with its outcome.")
    async def webhook_deliveries(
        self, info: Info, subscription_id: strawberry.ID, first: int = 50, after: str | None = None
    ) -> Connection[WebhookDelivery] | None:
        page = await webhook_reads.webhook_deliveries(info.context, subscription_id, first, after)
        return cast("Connection[WebhookDelivery]", page)

    # Nullable like every root field behind a scope: a key without usage:read gets null for this field alone.
    @strawberry.field(
        description="The calling key's requests this minute, day and month, per endpoint, and its window."
    )
    async def usage(self, info: Info) -> Usage | None:
        return cast("Usage", await usage_reads.usage(info.context))

    @strawberry.field(description="The store's plan and its monthly quotas (requests, signups, webhooks).")
    async def quotas(self, info: Info) -> Quotas | None:
        return cast("Quotas", await usage_reads.quotas(info.context))

    @strawberry.field(description="Signups tracked through the store's public keys, newest first.")
    async def signups(self, info: Info, first: int = 50, after: str | None = None) -> Connection[Signup] | None:
        return cast("Connection[Signup]", await tracking_reads.signups(info.context, first, after))

    @strawberry.field(description="The store's tracked events counted per name and UTC day, from the worker.")
    async def event_counts(
        self,
        info: Info,
        from_: Annotated[
            date | None,
            strawberry.argument(name="from", description="First day (UTC), included; default: 29 days before `to`."),
        ] = None,
        to: Annotated[date | None, strawberry.argument(description="Last day (UTC), included; default: today.")] = None,
        event: Annotated[str | None, strawberry.argument(description="Only this event name.")] = None,
    ) -> EventCounts | None:
        return cast("EventCounts", await tracking_reads.event_counts(info.context, from_, to, event))

    @strawberry.field(description="The store's reviews, newest first.")
    async def reviews(
        self, info: Info, first: int = 50, after: str | None = None, filter: ReviewFilter | None = None
    ) -> Connection[Review] | None:
        return cast("Connection[Review]", await review_reads.reviews(info.context, first, after, filter))

    @strawberry.field
    async def review(self, info: Info, id: strawberry.ID) -> Review | None:
        return cast("Review", await review_reads.review(info.context, id))

    @strawberry.field(description="Counts, average and distribution of the store's reviews written in a range of days.")
    async def review_stats(
        self,
        info: Info,
        from_: Annotated[
            date | None, strawberry.argument(name="from", description="First UTC day, included; default: the first.")
        ] = None,
        to: Annotated[
            date | None, strawberry.argument(description="Last UTC day, included; default: the last.")
        ] = None,
    ) -> ReviewStats | None:
        return cast("ReviewStats", await review_reads.review_stats(info.context, from_, to))

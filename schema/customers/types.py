from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from resolvers.addresses import address_books, default_of
from resolvers.analytics import customers_analytics
from resolvers.core.context import Info
from resolvers.customers import TagsByCustomerLoader, customer_orders_page, dial_code
from resolvers.ledgers import HOUSE_ACCOUNT, LOYALTY, ledger_page
from resolvers.reviews import customer_reviews_page
from schema.core.connections import Connection
from schema.core.cost_analysis import LOADED_LEAF
from schema.core.enums import Gender
from schema.core.scalars import DateTime, Money
from schema.customers.addresses import CustomerAddress
from schema.customers.analytics import CustomerAnalytics
from schema.customers.ledgers import HouseAccountTransaction, LoyaltyTransaction
from schema.orders.inputs import OrderFilter, order_condition

if TYPE_CHECKING:
    from schema.orders.types import Order
    from schema.reviews.types import Review


@strawberry.type(description="A buyer of one store, created at their first checkout and deduplicated by phone.")
class Customer:
    id: strawberry.ID
    first_name: str
    last_name: str
    phone: str = strawberry.field(description="Normalised: national digits for the store's region, else E.164.")
    email: str | None
    wilaya_id: int | None = strawberry.field(description="Algerian wilaya, 1–58.")
    commune: str | None
    address: str | None
    notes: str | None = strawberry.field(description="Merchant-private comment.")
    total_orders: int = strawberry.field(description="Orders that are not cancelled.")
    total_spent: Money = strawberry.field(description="Sum of the totals of orders that are not cancelled, in DZD.")
    last_order_at: DateTime | None
    fraud_score: int = strawberry.field(description="0–100, high is suspect.")
    is_banned: bool = strawberry.field(description="A banned customer's new orders are refused.")
    ban_reason: str | None = strawberry.field(description="Merchant-private reason given for the ban.")
    banned_at: DateTime | None
    gender: Gender | None
    birth_date: date | None
    locale: str | None = strawberry.field(description="BCP 47 language tag, such as fr-DZ.")
    accepts_marketing: bool = strawberry.field(description="Consent to marketing messages; false unless given.")
    metadata: JSON = strawberry.field(description="Merchant-defined keys and values.")
    loyalty_balance: int = strawberry.field(
        description="Loyalty points: the sum of the loyalty ledger, never negative."
    )
    is_loyalty_enabled: bool = strawberry.field(
        description="Whether the customer earns and can be given points (true unless turned off by `updateCustomer`)."
    )
    is_house_account_enabled: bool = strawberry.field(
        description="Whether orders can be charged to the house account (`paymentMethod: HOUSE_ACCOUNT`)."
    )
    house_account_limit: Money | None = strawberry.field(
        description="The most the customer may owe; null is no limit of the merchant's own."
    )
    house_account_balance: Money = strawberry.field(
        description="What the customer owes: the sum of the house-account ledger, never negative."
    )
    archived_at: DateTime | None = strawberry.field(
        description="When the customer was archived: hidden from lists (unless `filter.isArchived`) until restored "
        "or until it orders again."
    )
    erased_at: DateTime | None = strawberry.field(
        description="When the customer's personal data was erased (`eraseCustomer`); irreversible."
    )
    created_at: DateTime
    updated_at: DateTime

    @strawberry.field(description="The customer's tags, in alphabetical order ignoring case.", metadata=LOADED_LEAF)
    async def tags(self, info: Info) -> list[str]:
        return await info.context.loaders.get(TagsByCustomerLoader).load(int(self.id))

    @strawberry.field(description="The country calling code of the phone (213 for an Algerian number).")
    def dial_code(self, info: Info) -> int | None:
        return dial_code(info.context, self.phone)

    @strawberry.field(description="The customer's orders, newest first.")
    async def orders(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: OrderFilter | None = None,
    ) -> Connection[Annotated[Order, strawberry.lazy("schema.orders.types")]] | None:
        page = await customer_orders_page(info.context, int(self.id), first, after, order_condition(filter))
        return cast("Connection[Order]", page)

    @strawberry.field(description="The address book, at most 20: the default first, then newest first.")
    async def addresses(self, info: Info) -> list[CustomerAddress]:
        [book] = await address_books(info.context, [int(self.id)])
        return cast("list[CustomerAddress]", book)

    @strawberry.field(description="The customer's reviews, newest first.")
    async def reviews(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[Annotated[Review, strawberry.lazy("schema.reviews.types")]] | None:
        page = await customer_reviews_page(info.context, int(self.id), first, after)
        return cast("Connection[Review]", page)

    @strawberry.field(
        description="Figures from the customer's orders: totals, average, first and last order, orders by status, "
        "top products."
    )
    async def analytics(self, info: Info) -> CustomerAnalytics:
        [figures] = await customers_analytics(info.context, [int(self.id)])
        return cast("CustomerAnalytics", figures)

    @strawberry.field(description="The default address; null when the customer has none.")
    async def default_address(self, info: Info) -> CustomerAddress | None:
        [book] = await address_books(info.context, [int(self.id)])
        return cast("CustomerAddress | None", default_of(book))

    @strawberry.field(description="The loyalty ledger, newest first.")
    async def loyalty_transactions(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[LoyaltyTransaction] | None:
        page = await ledger_page(info.context, LOYALTY, int(self.id), first, after)
        return cast("Connection[LoyaltyTransaction]", page)

    @strawberry.field(description="The house-account ledger, newest first.")
    async def house_account_transactions(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[HouseAccountTransaction] | None:
        page = await ledger_page(info.context, HOUSE_ACCOUNT, int(self.id), first, after)
        return cast("Connection[HouseAccountTransaction]", page)


@strawberry.type(description="A tag of the store's customers, with how many customers have it.")
class CustomerTag:
    name: str
    count: int


__all__ = ["Customer", "CustomerTag"]

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from resolvers.catalog import ProductByIdLoader
from resolvers.core.context import Info
from resolvers.customers import CustomerByIdLoader
from resolvers.orders import OrderItemsByOrderLoader, StatusChangesByOrderLoader
from resolvers.reviews import ReviewByOrderLoader
from schema.core.enums import DeliveryType, OrderStatus, PaymentMethod, PaymentStatus
from schema.core.scalars import DateTime, Money

if TYPE_CHECKING:
    from schema.catalog.types import Product
    from schema.customers.types import Customer
    from schema.reviews.types import Review


@strawberry.type(description="One line of an order; name, SKU and price are as they were at checkout.")
class OrderItem:
    id: strawberry.ID
    product_id: strawberry.ID | None
    product_name: str
    sku: str | None
    unit_price: Money
    quantity: int
    total: Money

    @strawberry.field(description="The product now, or null once it has been deleted.")
    async def product(self, info: Info) -> Annotated[Product, strawberry.lazy("schema.catalog.types")] | None:
        if self.product_id is None:
            return None
        return cast("Product | None", await info.context.loaders.get(ProductByIdLoader).load(int(self.product_id)))


@strawberry.type(description="One recorded transition of an order's status or payment status.")
class OrderStatusChange:
    id: strawberry.ID
    field: str = strawberry.field(description="`status` or `payment_status`.")
    from_status: str | None
    to_status: str
    note: str | None
    actor_key_id: strawberry.ID | None = strawberry.field(description="The API key that made the change.")
    created_at: DateTime


@strawberry.type(description="An order placed at checkout, with a snapshot of who ordered and where to.")
class Order:
    id: strawberry.ID
    order_number: str = strawberry.field(description="ORD-<store id>-<YYYYMMDD>-<4 hex>.")
    status: OrderStatus
    payment_status: PaymentStatus
    payment_method: PaymentMethod
    customer_id: strawberry.ID | None
    customer_name: str
    customer_phone: str
    customer_email: str | None
    wilaya_id: int | None
    commune: str | None
    address: str | None
    delivery_type: DeliveryType
    subtotal: Money
    delivery_fee: Money
    total: Money
    notes: str | None
    created_at: DateTime
    updated_at: DateTime

    @strawberry.field
    async def items(self, info: Info) -> list[OrderItem]:
        return cast("list[OrderItem]", await info.context.loaders.get(OrderItemsByOrderLoader).load(int(self.id)))

    @strawberry.field(description="Every status and payment-status change, oldest first.")
    async def status_history(self, info: Info) -> list[OrderStatusChange]:
        rows = await info.context.loaders.get(StatusChangesByOrderLoader).load(int(self.id))
        return cast("list[OrderStatusChange]", rows)

    @strawberry.field
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customers.types")] | None:
        if self.customer_id is None:
            return None
        return cast("Customer | None", await info.context.loaders.get(CustomerByIdLoader).load(int(self.customer_id)))

    @strawberry.field(description="The customer's review of this order, if any.")
    async def review(self, info: Info) -> Annotated[Review, strawberry.lazy("schema.reviews.types")] | None:
        return cast("Review | None", await info.context.loaders.get(ReviewByOrderLoader).load(int(self.id)))

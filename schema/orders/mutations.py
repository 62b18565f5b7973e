from __future__ import annotations

from typing import cast

import strawberry

from db.queries.customers import customers_by_ids
from resolvers.core.context import Info
from resolvers.orders import OrderItemsByOrderLoader
from schema.core.enums import DeliveryType, OrderStatus, PaymentMethod, PaymentStatus
from schema.core.payloads import UserError, payload, run_mutation, run_mutation_on_driver
from schema.customers.types import Customer
from schema.orders.types import Order
from storegraph.platform.ids import parse_id
from storegraph.rules.orders.checkout import CheckoutCustomer, CheckoutLine, CheckoutRequest, place_order
from storegraph.rules.orders.status import StatusChangeRequest, change_order_status


@strawberry.input
class OrderLineInput:
    product_id: strawberry.ID
    quantity: int = 1


@strawberry.input(description="Who orders and where to. The phone identifies the customer within the store.")
class CheckoutCustomerInput:
    first_name: str
    phone: str
    wilaya_id: int = strawberry.field(description="Algerian wilaya, 1–58.")
    last_name: str | None = None
    email: str | None = None
    commune: str | None = None
    address: str | None = None
    device_fingerprint: str | None = strawberry.field(
        default=None, description="Stored for fraud scoring; never returned by any API."
    )


@strawberry.input
class PlaceOrderInput:
    lines: list[OrderLineInput]
    customer: CheckoutCustomerInput
    delivery_type: DeliveryType = DeliveryType.HOME
    payment_method: PaymentMethod = PaymentMethod.COD
    notes: str | None = None


@strawberry.type
class PlaceOrderPayload:
    order: Order | None
    customer: Customer | None
    user_errors: list[UserError]


@strawberry.input
class UpdateOrderStatusInput:
    id: strawberry.ID
    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    note: str | None = None


@strawberry.type
class UpdateOrderStatusPayload:
    order: Order | None
    user_errors: list[UserError]


def _checkout_request(data: PlaceOrderInput) -> CheckoutRequest:
    buyer = data.customer
    return CheckoutRequest(
        lines=[CheckoutLine(product_id=str(line.product_id), quantity=line.quantity) for line in data.lines],
        customer=CheckoutCustomer(
            first_name=buyer.first_name,
            last_name=buyer.last_name,
            phone=buyer.phone,
            email=buyer.email,
            wilaya_id=buyer.wilaya_id,
            commune=buyer.commune,
            address=buyer.address,
            device_fingerprint=buyer.device_fingerprint,
        ),
        delivery_type=data.delivery_type,
        payment_method=data.payment_method,
        notes=data.notes,
    )


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        description="Checkout: prices come from the catalogue; the customer is found by phone or created. "
        "With `paymentMethod: HOUSE_ACCOUNT` the total is charged to the customer's house account. Fails with "
        "`customer_banned`, `insufficient_stock`, `house_account_disabled`, `house_account_limit_exceeded`, "
        "`not_found` or validation codes, changing nothing."
    )
    async def place_order(self, info: Info, input: PlaceOrderInput) -> PlaceOrderPayload | None:
        context = info.context
        order, errors = await run_mutation(
            info, lambda s: place_order(s, context.store_id, _checkout_request(input), context.principal.key_pk)
        )
        if order is None:
            return cast("PlaceOrderPayload", payload(order=None, customer=None, user_errors=errors))
        # The order is the row its insert answered, as a read would. The customer is read back: checkout changes
        # some of its columns inside the database (totals, fraud score).
        customers = await customers_by_ids(context.db, context.store_id, [order.customer_id or 0])
        return cast(
            "PlaceOrderPayload",
            payload(order=order, customer=customers[0] if customers else None, user_errors=[]),
        )

    @strawberry.mutation(
        description="Moves an order through pending → confirmed → shipped → delivered (or cancelled from pending "
        "or confirmed) and/or its payment status; anything else is `invalid_status_transition`."
    )
    async def update_order_status(
        self,
        info: Info,
        input: UpdateOrderStatusInput,
    ) -> UpdateOrderStatusPayload | None:
        context = info.context
        request = StatusChangeRequest(status=input.status, payment_status=input.payment_status, note=input.note)
        changed, errors = await run_mutation_on_driver(
            info,
            lambda s: change_order_status(s, context.store_id, parse_id(input.id), request, context.principal.key_pk),
        )
        if changed is None:
            return cast("UpdateOrderStatusPayload", payload(order=None, user_errors=errors))
        # The rule holds the order locked and set every value it changed: its row is what a read would answer.
        # The items it read after the change are what the order's ``items`` field would read again.
        if changed.items is not None:
            context.loaders.get(OrderItemsByOrderLoader).prime(changed.order.id, changed.items)
        return cast("UpdateOrderStatusPayload", payload(order=changed.order, user_errors=errors))

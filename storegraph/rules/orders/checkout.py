"""Checkout (``placeOrder``): prices from the catalogue, the delivery fee of the zone holding the order's wilaya,
customer dedup on (store, normalised phone), atomic stock and totals, a unique order number, the status history's
first step and the ``order.created`` event."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from db.queries.checkout import NewOrderItem, checkout_products, checkout_store, insert_order, insert_order_items
from db.queries.customers import is_customer_banned, upsert_customer_for_order
from db.queries.orders import insert_status_change
from storegraph.platform.errors import CustomerBanned, NotFound, ValidationFailed
from storegraph.platform.ids import id_or_none
from storegraph.platform.money import MAX_MONEY, is_money
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import Problems, check_wilaya
from storegraph.rules.catalog.stock import take_stock
from storegraph.rules.customers.fraud import refresh_fraud_score
from storegraph.rules.customers.house_account import charge_order
from storegraph.rules.delivery import zone_delivery_fee
from storegraph.rules.event_bodies import order_data
from storegraph.rules.outbox import EventName, record_event
from storegraph.rules.statuses import DeliveryType, OrderStatus, PaymentMethod, PaymentStatus, ProductStatus

MAX_LINES = 50
MAX_QUANTITY = 1_000


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class CheckoutCustomer:
    first_name: str
    phone: str
    wilaya_id: int
    last_name: str | None = None
    email: str | None = None
    commune: str | None = None
    address: str | None = None
    device_fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    lines: list[CheckoutLine]
    customer: CheckoutCustomer
    delivery_type: DeliveryType = DeliveryType.HOME
    payment_method: PaymentMethod = PaymentMethod.COD
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class _Buyer:
    first_name: str
    last_name: str
    phone: str
    email: str | None
    wilaya_id: int
    commune: str | None
    address: str | None
    device_fingerprint: str | None


async def place_order(
    session: AsyncSession, store_id: int, request: CheckoutRequest, actor_key_id: int | None
) -> Row[Any]:
    """The order placed, as the reads by id show it."""
    store = await _store(session, store_id)
    buyer, (quantities, positions), notes = _validated(request, store.phone_region)
    products = await _products(session, store_id, quantities, positions)
    await _refuse_banned(session, store_id, buyer.phone)
    subtotal = sum(products[pid].price * quantity for pid, quantity in quantities.items())
    delivery_fee = await zone_delivery_fee(session, store_id, buyer.wilaya_id, request.delivery_type)
    if delivery_fee is None:
        delivery_fee = _delivery_fee(store.settings, request.delivery_type)
    total = subtotal + delivery_fee
    if not is_money(total):
        raise ValidationFailed.single("lines", "out_of_range", f"an order total must be at most {MAX_MONEY}")
    # Rows are locked in one global order (products by id, then the customer) so that two checkouts, or a
    # checkout and a cancellation, wait for each other instead of deadlocking.
    for product_id in sorted(quantities):
        if products[product_id].track_stock:
            field = f"lines[{positions[product_id]}].quantity"
            await take_stock(session, store_id, product_id, quantities[product_id], field)
    now = utcnow()
    customer_id = await _upsert_customer(session, store_id, buyer, total, now)
    order = await _insert_order(
        session,
        store_id=store_id,
        customer_id=customer_id,
        buyer=buyer,
        request=request,
        notes=notes,
        amounts=(subtotal, delivery_fee, total),
        now=now,
    )
    lines = [
        NewOrderItem(
            product_id=pid,
            product_name=products[pid].name,
            sku=products[pid].sku,
            unit_price=products[pid].price,
            quantity=quantity,
        )
        for pid, quantity in quantities.items()
    ]
    if request.payment_method is PaymentMethod.HOUSE_ACCOUNT:
        # Under the customer's row lock the upsert took: the limit is checked against every committed charge.
        await charge_order(session, store_id, order, actor_key_id)
    items = await insert_order_items(session, order.id, lines)
    await insert_status_change(
        session,
        order_id=order.id,
        field="status",
        from_status=None,
        to_status=OrderStatus.PENDING.value,
        actor_key_id=actor_key_id,
        created_at=now,
    )
    await session.flush()  # what the house account's charge added, so that its failure is this mutation's
    await record_event(session, store_id, EventName.ORDER_CREATED, order_data(order, items))
    await refresh_fraud_score(session, store_id, customer_id)
    return order


def _validated(
    request: CheckoutRequest, region: str
) -> tuple[_Buyer, tuple[OrderedDict[int, int], dict[int, int]], str | None]:
    problems = Problems()
    customer = request.customer
    first_name = problems.text("customer.firstName", customer.first_name, max_length=100, required=True)
    last_name = problems.text("customer.lastName", customer.last_name, max_length=100)
    phone = problems.phone("customer.phone", customer.phone, region)
    email = problems.email("customer.email", customer.email)
    check_wilaya(problems, "customer.wilayaId", customer.wilaya_id)
    commune = problems.text("customer.commune", customer.commune, max_length=100)
    address = problems.text("customer.address", customer.address, max_length=255)
    fingerprint = problems.text("customer.deviceFingerprint", customer.device_fingerprint, max_length=128)
    notes = problems.text("notes", request.notes, max_length=1000)
    lines = _line_quantities(problems, request.lines)
    problems.raise_if_any()
    buyer = _Buyer(
        first_name=first_name or "",
        last_name=last_name or "",
        phone=phone or "",
        email=email,
        wilaya_id=customer.wilaya_id,
        commune=commune,
        address=address,
        device_fingerprint=fingerprint,
    )
    return buyer, lines, notes


def _line_quantities(problems: Problems, lines: list[CheckoutLine]) -> tuple[OrderedDict[int, int], dict[int, int]]:
    """Quantities per product in line order; two lines of one product are one line.

    Also each product's first position in ``lines``, so errors name the line as the client sent it.
    """
    if not lines:
        problems.add("lines", "blank", "an order needs at least one line")
    if len(lines) > MAX_LINES:
        problems.add("lines", "too_long", f"an order has at most {MAX_LINES} lines")
    quantities: OrderedDict[int, int] = OrderedDict()
    positions: dict[int, int] = {}
    for position, line in enumerate(lines[:MAX_LINES]):
        problems.integer_range(f"lines[{position}].quantity", line.quantity, minimum=1, maximum=MAX_QUANTITY)
        product_id = id_or_none(line.product_id)
        if product_id is None:
            problems.add(f"lines[{position}].productId", "invalid", "productId must be a product id")
            continue
        positions.setdefault(product_id, position)
        quantities[product_id] = quantities.get(product_id, 0) + max(line.quantity, 0)
    return quantities, positions


async def _store(session: AsyncSession, store_id: int) -> Any:
    row = await checkout_store(session, store_id)
    if row is None:
        raise NotFound("Store", store_id)
    return row


async def _products(
    session: AsyncSession, store_id: int, quantities: OrderedDict[int, int], positions: dict[int, int]
) -> dict[int, Any]:
    found = await checkout_products(session, store_id, list(quantities))
    problems = Problems()
    for product_id in quantities:
        position = positions[product_id]
        row = found.get(product_id)
        if row is None:
            raise NotFound("Product", product_id, field=f"lines[{position}].productId")
        if row.status != ProductStatus.ACTIVE.value:
            problems.add(f"lines[{position}].productId", "unavailable", f"product {product_id} is not for sale")
    problems.raise_if_any()
    return found


async def _refuse_banned(session: AsyncSession, store_id: int, phone: str) -> None:
    if await is_customer_banned(session, store_id, phone):
        raise CustomerBanned()


def _delivery_fee(settings: dict[str, Any], delivery_type: DeliveryType) -> int:
    """The store's fee for the delivery type from ``settings.delivery_fees``, for a wilaya no delivery zone holds;
    free when not configured."""
    fees = settings.get("delivery_fees") if isinstance(settings, dict) else None
    fee = fees.get(delivery_type.value) if isinstance(fees, dict) else None
    # Settings written before fees were validated may hold anything; such a fee counts as free.
    return fee if is_money(fee) else 0


async def _upsert_customer(session: AsyncSession, store_id: int, buyer: _Buyer, total: int, now: datetime) -> int:
    customer_id = await upsert_customer_for_order(
        session,
        store_id=store_id,
        phone=buyer.phone,
        first_name=buyer.first_name,
        last_name=buyer.last_name,
        email=buyer.email,
        wilaya_id=buyer.wilaya_id,
        commune=buyer.commune,
        address=buyer.address,
        device_fingerprint=buyer.device_fingerprint,
        total=total,
        now=now,
    )
    if customer_id is None:  # banned since _refuse_banned looked
        raise CustomerBanned()
    return customer_id


async def _insert_order(
    session: AsyncSession,
    *,
    store_id: int,
    customer_id: int,
    buyer: _Buyer,
    request: CheckoutRequest,
    notes: str | None,
    amounts: tuple[int, int, int],
    now: datetime,
) -> Row[Any]:
    subtotal, delivery_fee, total = amounts
    return await insert_order(
        session,
        store_id=store_id,
        customer_id=customer_id,
        status=OrderStatus.PENDING.value,
        payment_status=PaymentStatus.PENDING.value,
        payment_method=request.payment_method.value,
        customer_name=f"{buyer.first_name} {buyer.last_name}".strip(),
        customer_phone=buyer.phone,
        customer_email=buyer.email,
        wilaya_id=buyer.wilaya_id,
        commune=buyer.commune,
        address=buyer.address,
        delivery_type=request.delivery_type.value,
        subtotal=subtotal,
        delivery_fee=delivery_fee,
        total=total,
        notes=notes,
        now=now,
    )

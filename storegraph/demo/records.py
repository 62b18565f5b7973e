"""The demo store as plain records, drawn in memory before anything is written: products, customers, their
orders with lines and status steps. Ids stay 0 until the rows are inserted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from storegraph.rules.statuses import DeliveryType, OrderStatus, PaymentStatus, ProductStatus

# A fixed "today", so that reruns give identical data whatever the date.
BASE_DATE = datetime(2026, 11, 1)

PENDING, CONFIRMED, SHIPPED = OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.SHIPPED
DELIVERED, CANCELLED = OrderStatus.DELIVERED, OrderStatus.CANCELLED


@dataclass(slots=True)
class _Product:
    name: str
    category: str
    sku_stem: str
    price: int
    compare_price: int | None
    cost_price: int | None
    track_stock: bool
    stock_quantity: int
    status: ProductStatus
    popularity: float
    created_at: datetime
    updated_at: datetime
    slug: str = ""
    sku: str = ""
    id: int = 0


@dataclass(slots=True)
class _Customer:
    first_name: str
    last_name: str
    phone: str
    email: str | None
    wilaya_id: int
    commune: str
    address: str
    notes: str | None
    device_fingerprint: str | None
    identity_id: str | None
    orders: list[_Order] = field(default_factory=list)
    created_at: datetime = BASE_DATE
    updated_at: datetime = BASE_DATE
    banned_at: datetime | None = None
    ban_reason: str | None = None
    archived_at: datetime | None = None
    fraud_score: int = 0
    gender: str | None = None
    birth_date: date | None = None
    locale: str | None = None
    accepts_marketing: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    is_loyalty_enabled: bool = True
    is_house_account_enabled: bool = False
    house_account_limit: int | None = None
    # Each ledger of the customer, oldest first; its balance is the last entry's.
    loyalty: list[_Entry] = field(default_factory=list)
    house_account: list[_Entry] = field(default_factory=list)
    id: int = 0

    @property
    def counted_orders(self) -> list[_Order]:
        """The orders in the customer's totals: all but the cancelled ones, as checkout and cancelling keep them."""
        return [order for order in self.orders if order.status is not CANCELLED]


@dataclass(frozen=True, slots=True)
class _Line:
    product: _Product
    quantity: int

    @property
    def total(self) -> int:
        return self.product.price * self.quantity


@dataclass(frozen=True, slots=True)
class _Step:
    field: str
    from_status: str | None
    to_status: str
    at: datetime


@dataclass(slots=True)
class _Order:
    customer: _Customer
    placed_at: datetime
    number_suffix: str  # "<YYYYMMDD>-<4 hex>"; the store id goes in front when the store exists
    delivery_type: DeliveryType
    delivery_fee: int
    lines: list[_Line]
    steps: list[_Step]
    notes: str | None
    on_account: bool = False
    id: int = 0

    @property
    def status(self) -> OrderStatus:
        return OrderStatus(next(step.to_status for step in reversed(self.steps) if step.field == "status"))

    @property
    def payment_status(self) -> PaymentStatus:
        return PaymentStatus.PAID if self.status is DELIVERED else PaymentStatus.PENDING

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal + self.delivery_fee

    @property
    def updated_at(self) -> datetime:
        return self.steps[-1].at

    @property
    def cancelled_at(self) -> datetime | None:
        return self.steps[-1].at if self.status is CANCELLED else None

    @property
    def delivered_at(self) -> datetime | None:
        return self.steps[-1].at if self.status is DELIVERED else None


@dataclass(frozen=True, slots=True)
class _Entry:
    """One ledger row: ``amount`` is the loyalty delta or the house-account amount, ``balance_after`` the running
    sum it leaves."""

    kind: str
    amount: int
    reason: str
    balance_after: int
    at: datetime
    order: _Order | None = None


@dataclass(frozen=True, slots=True)
class _Review:
    """A customer's review of a delivered order, and the merchant's response to some."""

    order: _Order
    rating: int
    product_rating: int | None
    delivery_rating: int | None
    packaging_rating: int | None
    comment: str | None
    is_approved: bool
    is_public: bool
    is_featured: bool
    response: str | None
    created_at: datetime
    responded_at: datetime | None


@dataclass(frozen=True, slots=True)
class _DemoData:
    products: list[_Product]
    customers: list[_Customer]
    orders: list[_Order]

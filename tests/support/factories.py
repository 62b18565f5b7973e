"""Plain async factories: each creates one row (and what it needs) with sensible defaults, and flushes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base
from db.models import (
    Customer,
    CustomerAddress,
    DeliveryZone,
    LandingPage,
    Order,
    OrderItem,
    OrderStatusChange,
    Product,
    Review,
    Store,
    WebhookSubscription,
    ZoneWilaya,
)
from db.queries.keys import create_api_key
from db.queries.stores import create_store as create_store_row
from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.platform.auth.principal import Principal
from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from storegraph.platform.timestamps import utcnow
from storegraph.rules.webhooks.subscriptions import new_signing_secret

_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


async def create_store(session: AsyncSession, *, name: str | None = None, plan: str = "enterprise") -> Store:
    return await create_store_row(session, name=name or f"Store {_next()}", plan=plan)


@dataclass(frozen=True)
class Key:
    id: int
    key_id: str
    token: str
    store_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def create_key(
    session: AsyncSession, store: Store, *, scopes: tuple[Scope, ...] = ALL_SCOPES, env: KeyEnv = KeyEnv.LIVE
) -> Key:
    row, token = await create_api_key(
        session, store_id=store.id, key_type=KeyType.PLATFORM, env=env, scopes=scopes, name="test"
    )
    return Key(id=row.id, key_id=row.key_id, token=token, store_id=store.id)


async def create_customer(
    session: AsyncSession,
    store: Store,
    *,
    phone: str | None = None,
    first_name: str = "Amine",
    last_name: str = "Benali",
    email: str | None = None,
    is_banned: bool = False,
    total_orders: int = 0,
    total_spent: int = 0,
    created_at: datetime | None = None,
) -> Customer:
    number = _next()
    customer = Customer(
        store_id=store.id,
        first_name=first_name,
        last_name=last_name,
        phone=phone or f"0555{number:06d}",
        email=email,
        wilaya_id=16,
        commune="Bab Ezzouar",
        is_banned=is_banned,
        total_orders=total_orders,
        total_spent=total_spent,
        device_fingerprint=f"fp-{number}",
        identity_id=f"id-{number}",
        created_at=created_at or utcnow(),
        updated_at=created_at or utcnow(),
    )
    session.add(customer)
    await session.flush()
    return customer


async def create_product(
    session: AsyncSession,
    store: Store,
    *,
    name: str | None = None,
    price: int = 1500,
    status: str = "active",
    sku: str | None = None,
    created_at: datetime | None = None,
) -> Product:
    number = _next()
    name = name or f"Product {number}"
    product = Product(
        store_id=store.id,
        name=name,
        slug=f"{name.lower().replace(' ', '-')}-{number}",
        price=price,
        sku=sku or f"SKU-{number}",
        status=status,
        track_stock=True,
        stock_quantity=50,
        created_at=created_at or utcnow(),
        updated_at=created_at or utcnow(),
    )
    session.add(product)
    await session.flush()
    return product


async def create_order(
    session: AsyncSession,
    store: Store,
    customer: Customer,
    lines: list[tuple[Product, int]],
    *,
    status: str = "pending",
    created_at: datetime | None = None,
) -> Order:
    created_at = created_at or utcnow()
    subtotal = sum(product.price * quantity for product, quantity in lines)
    order = Order(
        store_id=store.id,
        customer_id=customer.id,
        order_number=f"ORD-{store.id}-{created_at:%Y%m%d}-{_next() % 0xFFFF:04X}",
        status=status,
        customer_name=f"{customer.first_name} {customer.last_name}",
        customer_phone=customer.phone,
        wilaya_id=customer.wilaya_id,
        commune=customer.commune,
        subtotal=subtotal,
        delivery_fee=400,
        total=subtotal + 400,
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(order)
    await session.flush()
    for product, quantity in lines:
        session.add(
            OrderItem(
                order_id=order.id,
                product_id=product.id,
                product_name=product.name,
                sku=product.sku,
                unit_price=product.price,
                quantity=quantity,
                total=product.price * quantity,
            )
        )
    session.add(OrderStatusChange(order_id=order.id, from_status=None, to_status="pending", created_at=created_at))
    if status != "pending":
        session.add(
            OrderStatusChange(
                order_id=order.id,
                from_status="pending",
                to_status=status,
                created_at=created_at + timedelta(minutes=5),
            )
        )
    await session.flush()
    return order


async def create_review(
    session: AsyncSession,
    store: Store,
    order: Order,
    *,
    rating: int = 5,
    is_approved: bool = False,
    comment: str | None = "Livraison rapide",
    created_at: datetime | None = None,
) -> Review:
    """A review of ``order`` by its customer, written straight to the table (the rules are tested on their own)."""
    created_at = created_at or utcnow()
    review = Review(
        store_id=store.id,
        order_id=order.id,
        customer_id=order.customer_id,
        rating=rating,
        comment=comment,
        is_approved=is_approved,
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(review)
    await session.flush()
    return review


async def create_landing_page(
    session: AsyncSession, store: Store, *, title: str = "Summer sale", product: Product | None = None
) -> LandingPage:
    number = _next()
    page = LandingPage(
        store_id=store.id,
        title=title,
        slug=f"page-{number}",
        product_id=product.id if product else None,
        content="<h1>Hello</h1>",
        status="published",
    )
    session.add(page)
    await session.flush()
    return page


async def create_webhook_subscription(
    session: AsyncSession,
    store: Store,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    created_at: datetime | None = None,
) -> WebhookSubscription:
    number = _next()
    subscription = WebhookSubscription(
        store_id=store.id,
        url=url or f"https://hooks.example.com/dz/{number}",
        events=events or ["order.created"],
        secret=new_signing_secret(),
        created_at=created_at or utcnow(),
        updated_at=created_at or utcnow(),
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def backdate(session: AsyncSession, row: Base, created_at: datetime) -> None:
    """Set a row's ``created_at`` (and ``updated_at`` where it has one): lists are ordered by it, newest first."""
    row.created_at = created_at  # type: ignore[attr-defined]
    if hasattr(row, "updated_at"):
        row.updated_at = created_at
    await session.flush()


def principal(
    key_pk: int = 1,
    *,
    key_id: str | None = None,
    store_id: int = 1,
    plan: str = "enterprise",
    scopes: frozenset[str] = frozenset(),
) -> Principal:
    """An authenticated caller without a key row behind it, for tests of middleware and the schema in isolation."""
    return Principal(
        key_pk=key_pk,
        key_id=key_id or f"key{key_pk}",
        key_type="platform",
        env="live",
        scopes=scopes,
        store_id=store_id,
        store_name="Store",
        plan=plan,
        phone_region="DZ",
    )


async def create_address(
    session: AsyncSession,
    customer: Customer,
    *,
    wilaya_id: int | None = 16,
    country: str = "DZ",
    is_default: bool = False,
    line1: str | None = None,
    created_at: datetime | None = None,
) -> CustomerAddress:
    """An address row as written (no book rule applied: the caller says which one is the default)."""
    address = CustomerAddress(
        store_id=customer.store_id,
        customer_id=customer.id,
        label="Home",
        line1=line1 or f"{_next()} Rue Didouche Mourad",
        wilaya_id=wilaya_id,
        commune="Alger Centre",
        country=country,
        is_default=is_default,
        created_at=created_at or utcnow(),
        updated_at=created_at or utcnow(),
    )
    session.add(address)
    await session.flush()
    return address


async def create_zone(
    session: AsyncSession,
    store: Store,
    wilaya_ids: list[int],
    *,
    name: str | None = None,
    home_fee: int = 600,
    desk_fee: int = 400,
) -> DeliveryZone:
    zone = DeliveryZone(store_id=store.id, name=name or f"Zone {_next()}", home_fee=home_fee, desk_fee=desk_fee)
    session.add(zone)
    await session.flush()
    session.add_all(ZoneWilaya(store_id=store.id, zone_id=zone.id, wilaya_id=wilaya) for wilaya in wilaya_ids)
    await session.flush()
    return zone

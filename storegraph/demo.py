"""Deterministic demo stores: realistic Algerian customers, products and orders in every status.

Everything is generated in memory from one seeded ``random.Random`` and a fixed base date, then written with
batched inserts. Customer totals are computed from the generated orders, so they are exact by construction,
exactly as the checkout keeps them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rich.progress import Progress
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Customer, Order, OrderItem, OrderStatusChange, Product
from db.queries.api_keys import create_api_key
from db.queries.stores import create_store
from domain.api_keys import KeyEnv, KeyType
from domain.scopes import ALL_SCOPES
from domain.slugs import slugify
from storegraph.algeria import (
    CATALOGUE,
    COMMUNES,
    EMAIL_DOMAINS,
    FAMILY_NAMES,
    FEMALE_FIRST_NAMES,
    MALE_FIRST_NAMES,
    WILAYAS,
)

BASE_DATE = datetime(2026, 11, 1)
HISTORY_DAYS = 540
CHUNK = 1_000
# Status mix of a healthy COD shop's order book.
STATUS_WEIGHTS = {"delivered": 45, "shipped": 15, "confirmed": 15, "pending": 15, "cancelled": 10}
# Wilayas weighted towards the big cities, where most online orders come from.
CITY_WEIGHT = {16: 30, 31: 12, 25: 9, 19: 6, 9: 6, 23: 5, 15: 5, 35: 4, 42: 3}


@dataclass(frozen=True, slots=True)
class DemoStore:
    store_id: int
    key: str


@dataclass
class _Customer:
    first_name: str
    last_name: str
    phone: str
    email: str | None
    wilaya_id: int
    commune: str
    address: str
    notes: str | None
    is_banned: bool
    fraud_score: int
    device_fingerprint: str | None
    orders: list[_Order] = field(default_factory=list)


@dataclass
class _Order:
    customer: _Customer
    created_at: datetime
    status: str
    delivery_type: str
    delivery_fee: int
    lines: list[tuple[int, int]]  # (product index, quantity)
    number: str = ""


async def build_demo(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    customers: int = 5000,
    orders: int = 15000,
    products: int = 200,
    seed: int = 2026,
    progress: bool = True,
) -> DemoStore:
    rng = random.Random(seed)
    catalogue = _products(rng, products)
    people = _customers(rng, customers)
    book = _orders(rng, people, catalogue, orders)
    async with sessionmaker() as session, session.begin():
        store = await create_store(session, name="Boutique Demo", plan="enterprise")
        _, key = await create_api_key(
            session, store_id=store.id, key_type=KeyType.PLATFORM, env=KeyEnv.TEST, scopes=ALL_SCOPES, name="demo"
        )
        with Progress(disable=not progress, transient=False) as bar:
            product_ids = await _insert_products(session, store.id, catalogue, bar)
            customer_ids = await _insert_customers(session, store.id, people, catalogue, bar)
            await _insert_orders(session, store.id, book, people, (product_ids, customer_ids), catalogue, rng, bar)
    return DemoStore(store_id=store.id, key=key)


def _products(rng: random.Random, count: int) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    for index in range(count):
        name, price, prefix = CATALOGUE[index % len(CATALOGUE)]
        edition = index // len(CATALOGUE)
        full_name = name if edition == 0 else f"{name} édition {edition + 1}"
        tracked = rng.random() < 0.7
        made.append(
            {
                "name": full_name,
                "slug": slugify(full_name),
                "description": f"{full_name}, livraison dans les 58 wilayas, paiement à la livraison.",
                "price": price + 100 * rng.randint(0, 10) * (edition > 0),
                "compare_price": round(price * 1.25, -2) if rng.random() < 0.3 else None,
                "cost_price": round(price * 0.55, -1) if rng.random() < 0.5 else None,
                "sku": f"{prefix}-{index + 1:04d}",
                "track_stock": tracked,
                "stock_quantity": rng.randint(0, 300) if tracked else 0,
                "low_stock_alert": 5,
                "status": rng.choices(("active", "draft", "archived"), (85, 10, 5))[0],
            }
        )
    return made


def _customers(rng: random.Random, count: int) -> list[_Customer]:
    wilaya_ids = [wilaya_id for wilaya_id, _ in WILAYAS]
    weights = [CITY_WEIGHT.get(wilaya_id, 1) for wilaya_id in wilaya_ids]
    phones: set[str] = set()
    people: list[_Customer] = []
    for index in range(count):
        female = rng.random() < 0.5
        first = rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES)
        last = rng.choice(FAMILY_NAMES)
        wilaya_id = rng.choices(wilaya_ids, weights)[0]
        phone = _unique_phone(rng, phones)
        email = None
        if rng.random() < 0.6:
            local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
            email = f"{_ascii(local)}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"
        fingerprint = f"fp_{rng.getrandbits(48):012x}" if rng.random() < 0.7 else None
        if fingerprint and people and rng.random() < 0.02:
            fingerprint = people[rng.randrange(len(people))].device_fingerprint  # shared devices happen
        people.append(
            _Customer(
                first_name=first,
                last_name=last,
                phone=phone,
                email=email,
                wilaya_id=wilaya_id,
                commune=rng.choice(COMMUNES.get(wilaya_id, (WILAYAS[wilaya_id - 1][1],))),
                address=f"{rng.randint(1, 120)} Rue {rng.choice(FAMILY_NAMES)}",
                notes="Préfère une livraison l'après-midi" if index % 97 == 0 else None,
                is_banned=rng.random() < 0.02,
                fraud_score=min(100, int(rng.expovariate(1 / 8))),
                device_fingerprint=fingerprint,
            )
        )
    return people


def _unique_phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = f"0{rng.choice('567')}{rng.randint(0, 99_999_999):08d}"
        if phone not in taken:
            taken.add(phone)
            return phone


def _ascii(text: str) -> str:
    return slugify(text).replace("-", ".") or "client"


def _orders(
    rng: random.Random, people: Sequence[_Customer], catalogue: Sequence[dict[str, Any]], count: int
) -> list[_Order]:
    if not people or count == 0:
        return []
    # A few loyal customers order often; many order once or never.
    weights = [rng.paretovariate(1.3) for _ in people]
    sellable = [index for index, product in enumerate(catalogue) if product["status"] == "active"] or [0]
    book: list[_Order] = []
    for _ in range(count):
        customer = rng.choices(people, weights)[0]
        created_at = BASE_DATE - timedelta(seconds=rng.randint(0, HISTORY_DAYS * 86_400))
        delivery_type = "home" if rng.random() < 0.7 else "desk"
        lines = [(rng.choice(sellable), rng.choices((1, 2, 3), (75, 20, 5))[0]) for _ in range(rng.randint(1, 4))]
        order = _Order(
            customer=customer,
            created_at=created_at,
            status=_status_for(rng, created_at),
            delivery_type=delivery_type,
            delivery_fee=rng.randrange(400, 901, 50) if delivery_type == "home" else rng.randrange(200, 501, 50),
            lines=_merged(lines),
        )
        customer.orders.append(order)
        book.append(order)
    book.sort(key=lambda order: order.created_at)
    return book


def _status_for(rng: random.Random, created_at: datetime) -> str:
    age = BASE_DATE - created_at
    if age < timedelta(days=3):
        return rng.choices(("pending", "confirmed", "cancelled"), (60, 35, 5))[0]
    if age < timedelta(days=10):
        return rng.choices(("confirmed", "shipped", "delivered", "cancelled"), (20, 45, 25, 10))[0]
    return rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]


def _merged(lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    quantities: dict[int, int] = {}
    for product, quantity in lines:
        quantities[product] = quantities.get(product, 0) + quantity
    return list(quantities.items())


def _chunks(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


async def _insert_returning_ids(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return [int(row_id) for row_id in (await session.execute(stmt, list(rows))).scalars()]


async def _insert_products(
    session: AsyncSession, store_id: int, catalogue: Sequence[dict[str, Any]], bar: Progress
) -> list[int]:
    task = bar.add_task("products", total=len(catalogue))
    created = BASE_DATE - timedelta(days=HISTORY_DAYS + 30)
    slugs: dict[str, int] = {}
    rows = []
    for product in catalogue:
        slug = product["slug"]
        slugs[slug] = slugs.get(slug, 0) + 1
        unique_slug = slug if slugs[slug] == 1 else f"{slug}-{slugs[slug]}"
        rows.append(
            {**product, "slug": unique_slug, "store_id": store_id, "created_at": created, "updated_at": created}
        )
    ids = await _insert_returning_ids(session, Product, rows)
    bar.advance(task, len(rows))
    return ids


async def _insert_customers(
    session: AsyncSession,
    store_id: int,
    people: Sequence[_Customer],
    catalogue: Sequence[dict[str, Any]],
    bar: Progress,
) -> list[int]:
    task = bar.add_task("customers", total=len(people))
    ids: list[int] = []
    for chunk in _chunks(people):
        rows = [_customer_row(store_id, person, catalogue) for person in chunk]
        ids.extend(await _insert_returning_ids(session, Customer, rows))
        bar.advance(task, len(rows))
    return ids


def _order_total(order: _Order, catalogue: Sequence[dict[str, Any]]) -> int:
    prices: list[int] = [catalogue[product]["price"] * quantity for product, quantity in order.lines]
    return order.delivery_fee + sum(prices)


def _customer_row(store_id: int, person: _Customer, catalogue: Sequence[dict[str, Any]]) -> dict[str, Any]:
    counted = [order for order in person.orders if order.status != "cancelled"]
    first_order = min((order.created_at for order in person.orders), default=BASE_DATE - timedelta(days=30))
    last_change = max((order.created_at for order in person.orders), default=first_order)
    return {
        "store_id": store_id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "phone": person.phone,
        "email": person.email,
        "wilaya_id": person.wilaya_id,
        "commune": person.commune,
        "address": person.address,
        "notes": person.notes,
        "total_orders": len(counted),
        "total_spent": sum(_order_total(order, catalogue) for order in counted),
        "last_order_at": max((order.created_at for order in counted), default=None),
        "fraud_score": person.fraud_score,
        "is_banned": person.is_banned,
        "ban_reason": "Commandes refusées à la livraison" if person.is_banned else None,
        "banned_at": last_change if person.is_banned else None,
        "device_fingerprint": person.device_fingerprint,
        "identity_id": None,
        "created_at": first_order - timedelta(hours=1),
        "updated_at": last_change,
    }


async def _insert_orders(
    session: AsyncSession,
    store_id: int,
    book: Sequence[_Order],
    people: Sequence[_Customer],
    ids: tuple[Sequence[int], Sequence[int]],
    catalogue: Sequence[dict[str, Any]],
    rng: random.Random,
    bar: Progress,
) -> None:
    product_ids, customer_ids = ids
    task = bar.add_task("orders", total=len(book))
    customer_id_of = {id(person): customer_ids[position] for position, person in enumerate(people)}
    numbers: set[str] = set()
    for chunk in _chunks(book):
        rows = [
            _order_row(store_id, order, customer_id_of[id(order.customer)], catalogue, rng, numbers) for order in chunk
        ]
        order_ids = await _insert_returning_ids(session, Order, rows)
        items: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for order_id, order in zip(order_ids, chunk, strict=True):
            items.extend(_item_rows(order_id, order, product_ids, catalogue))
            history.extend(_history_rows(order_id, order, rng))
        await session.execute(insert(OrderItem), items)
        await session.execute(insert(OrderStatusChange), history)
        bar.advance(task, len(rows))


def _order_number(rng: random.Random, store_id: int, created_at: datetime, taken: set[str]) -> str:
    while True:
        number = f"ORD-{store_id}-{created_at:%Y%m%d}-{rng.getrandbits(16):04X}"
        if number not in taken:
            taken.add(number)
            return number


def _order_row(
    store_id: int,
    order: _Order,
    customer_id: int,
    catalogue: Sequence[dict[str, Any]],
    rng: random.Random,
    numbers: set[str],
) -> dict[str, Any]:
    person = order.customer
    total = _order_total(order, catalogue)
    return {
        "store_id": store_id,
        "customer_id": customer_id,
        "order_number": _order_number(rng, store_id, order.created_at, numbers),
        "status": order.status,
        "payment_status": "paid" if order.status == "delivered" else "pending",
        "payment_method": "cod",
        "customer_name": f"{person.first_name} {person.last_name}",
        "customer_phone": person.phone,
        "customer_email": person.email,
        "wilaya_id": person.wilaya_id,
        "commune": person.commune,
        "address": person.address,
        "delivery_type": order.delivery_type,
        "subtotal": total - order.delivery_fee,
        "delivery_fee": order.delivery_fee,
        "total": total,
        "notes": None,
        "created_at": order.created_at,
        "updated_at": order.created_at + _STEP_DELAYS[order.status],
    }


def _item_rows(
    order_id: int, order: _Order, product_ids: Sequence[int], catalogue: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "product_id": product_ids[product],
            "product_name": catalogue[product]["name"],
            "sku": catalogue[product]["sku"],
            "unit_price": catalogue[product]["price"],
            "quantity": quantity,
            "total": catalogue[product]["price"] * quantity,
        }
        for product, quantity in order.lines
    ]


# How long after placement an order reaches each status (its last history step).
_STEP_DELAYS = {
    "pending": timedelta(0),
    "confirmed": timedelta(hours=3),
    "shipped": timedelta(days=1, hours=3),
    "delivered": timedelta(days=3, hours=5),
    "cancelled": timedelta(hours=5),
}
_PATHS = {
    "pending": ("pending",),
    "confirmed": ("pending", "confirmed"),
    "shipped": ("pending", "confirmed", "shipped"),
    "delivered": ("pending", "confirmed", "shipped", "delivered"),
}


def _history_rows(order_id: int, order: _Order, rng: random.Random) -> list[dict[str, Any]]:
    path: tuple[str, ...]
    if order.status == "cancelled":
        path = ("pending", "cancelled") if rng.random() < 0.5 else ("pending", "confirmed", "cancelled")
    else:
        path = _PATHS[order.status]
    rows = []
    previous: str | None = None
    for step in path:
        rows.append(_history_row(order_id, "status", previous, step, order.created_at + _STEP_DELAYS[step]))
        previous = step
    if order.status == "delivered":
        paid_at = order.created_at + _STEP_DELAYS["delivered"]
        rows.append(_history_row(order_id, "payment_status", "pending", "paid", paid_at))
    return rows


def _history_row(order_id: int, field: str, before: str | None, after: str, when: datetime) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "field": field,
        "from_status": before,
        "to_status": after,
        "note": None,
        "actor_key_id": None,
        "created_at": when,
    }

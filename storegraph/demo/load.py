"""Writing a drawn demo store: a new store with a full-scope test key, then Core bulk inserts in chunks with ids
read back with RETURNING, all in one transaction."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import (
    Customer,
    CustomerAddress,
    CustomerTag,
    DeliveryZone,
    HouseAccountTransaction,
    LoyaltyTransaction,
    Order,
    OrderItem,
    OrderStatusChange,
    Product,
    Review,
    ZoneWilaya,
)
from db.queries.bulk import insert_returning_ids, insert_rows
from db.queries.keys import create_api_key
from db.queries.stores import create_store, delete_stores, marked_store_ids
from db.session import begin_write
from storegraph.demo import addresses
from storegraph.demo.draw import _generate
from storegraph.demo.ledgers import EARNING_RATE, draw_ledgers
from storegraph.demo.records import _Customer, _Entry, _Line, _Order, _Product, _Review, _Step
from storegraph.demo.reviews import draw_reviews
from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.platform.auth.scopes import ALL_SCOPES
from storegraph.rules.customers.loyalty import LOYALTY_RATE
from storegraph.rules.statuses import PaymentMethod

STORE_NAME = "Boutique Demo"
STORE_PLAN = "enterprise"
# Set in a demo store's metadata: what ``reset`` may drop, and never a merchant's store that has the same name.
DEMO_MARKER = "storegraph_demo"
CHUNK_SIZE = 1_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DemoStore:
    store_id: int
    key: str  # the full platform key string (every scope, test env); it is never retrievable again
    # The demo stores of earlier runs that ``reset`` dropped.
    dropped: tuple[int, ...] = ()


async def build_demo(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    customers: int = 5000,
    orders: int = 15000,
    products: int = 200,
    seed: int = 2026,
    progress: bool = True,
    reset: bool = False,
) -> DemoStore:
    """Creates a new demo store with a full-scope test platform key, and fills it; one transaction. Every run adds
    a store; ``reset`` first drops the demo stores of earlier runs (with all their data and keys), in the same
    transaction."""
    data = _generate(random.Random(seed), customers=customers, orders=orders, products=products)
    # A stream of its own: drawing reviews changes nothing of what the main stream draws.
    reviews = draw_reviews(random.Random(f"reviews-{seed}"), data.orders)
    # A stream of their own: the ledgers leave what the seed always drew as it was.
    draw_ledgers(random.Random(f"ledgers-{seed}"), data.customers)
    async with sessionmaker() as session:
        await begin_write(session)
        dropped: list[int] = []
        if reset:
            dropped = await marked_store_ids(session, name=STORE_NAME, marker=DEMO_MARKER)
            await delete_stores(session, dropped)
        store = await create_store(session, name=STORE_NAME, plan=STORE_PLAN)
        store.metadata_ = {DEMO_MARKER: True}
        store.settings = {LOYALTY_RATE: EARNING_RATE}
        await session.flush()
        key_row, key = await create_api_key(
            session, store_id=store.id, key_type=KeyType.PLATFORM, env=KeyEnv.TEST, scopes=ALL_SCOPES, name="demo"
        )
        with _progress_bar(enabled=progress) as bar:
            await _insert_products(session, store.id, data.products, bar)
            await _insert_customers(session, store.id, data.customers, bar)
            await _insert_orders(session, store.id, data.orders, bar)
            await _insert_books(session, store.id, data.customers, random.Random(seed + 1))
            await _insert_reviews(session, store.id, reviews, key_row.id, bar)
            await _insert_ledgers(session, store.id, data.customers)
        await session.commit()
    return DemoStore(store_id=store.id, key=key, dropped=tuple(dropped))


def _progress_bar(*, enabled: bool) -> Progress:
    # stderr: the CLI prints the store id and key as JSON on stdout, which scripts parse.
    return Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


def _chunks(rows: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), CHUNK_SIZE):
        yield rows[start : start + CHUNK_SIZE]


async def _insert_products(session: AsyncSession, store_id: int, catalogue: Sequence[_Product], bar: Progress) -> None:
    task = bar.add_task("products", total=len(catalogue))
    for chunk in _chunks(catalogue):
        ids = await insert_returning_ids(
            session, Product, [_product_row(store_id, product) for product in chunk], key="sku"
        )
        for product, product_id in zip(chunk, ids, strict=True):
            product.id = product_id
        bar.advance(task, len(chunk))


async def _insert_customers(session: AsyncSession, store_id: int, people: Sequence[_Customer], bar: Progress) -> None:
    task = bar.add_task("customers", total=len(people))
    for chunk in _chunks(people):
        ids = await insert_returning_ids(
            session, Customer, [_customer_row(store_id, person) for person in chunk], key="phone"
        )
        for person, customer_id in zip(chunk, ids, strict=True):
            person.id = customer_id
        tags = [
            {
                "store_id": store_id,
                "customer_id": person.id,
                "name": tag,
                "name_key": tag.lower(),
                "created_at": person.created_at,
            }
            for person in chunk
            for tag in person.tags
        ]
        await insert_rows(session, CustomerTag, tags)
        bar.advance(task, len(chunk))


async def _insert_orders(session: AsyncSession, store_id: int, book: Sequence[_Order], bar: Progress) -> None:
    task = bar.add_task("orders", total=len(book))
    for chunk in _chunks(book):
        ids = await insert_returning_ids(
            session, Order, [_order_row(store_id, order) for order in chunk], key="order_number"
        )
        for order, order_id in zip(chunk, ids, strict=True):
            order.id = order_id
        items = [_item_row(order_id, line) for order_id, order in zip(ids, chunk, strict=True) for line in order.lines]
        history = [
            _history_row(order_id, step) for order_id, order in zip(ids, chunk, strict=True) for step in order.steps
        ]
        await insert_rows(session, OrderItem, items)
        await insert_rows(session, OrderStatusChange, history)
        bar.advance(task, len(chunk))


async def _insert_books(session: AsyncSession, store_id: int, people: Sequence[_Customer], rng: random.Random) -> None:
    """The store's delivery zones (every wilaya in one) and some customers' address books."""
    zone_ids = await insert_returning_ids(session, DeliveryZone, addresses.zone_rows(store_id), key="name")
    await insert_rows(session, ZoneWilaya, addresses.zone_wilaya_rows(store_id, zone_ids))
    books = addresses.address_rows(rng, store_id, people)
    for chunk in _chunks(books):
        await insert_rows(session, CustomerAddress, list(chunk))


async def _insert_reviews(
    session: AsyncSession, store_id: int, reviews: Sequence[_Review], key_pk: int, bar: Progress
) -> None:
    task = bar.add_task("reviews", total=len(reviews))
    for chunk in _chunks(reviews):
        await insert_rows(session, Review, [_review_row(store_id, review, key_pk) for review in chunk])
        bar.advance(task, len(chunk))


def _review_row(store_id: int, review: _Review, key_pk: int) -> dict[str, Any]:
    return {
        "store_id": store_id,
        "order_id": review.order.id,
        "customer_id": review.order.customer.id,
        "rating": review.rating,
        "product_rating": review.product_rating,
        "delivery_rating": review.delivery_rating,
        "packaging_rating": review.packaging_rating,
        "comment": review.comment,
        "is_approved": review.is_approved,
        "is_public": review.is_public,
        "is_featured": review.is_featured,
        "response_text": review.response,
        "responded_at": review.responded_at,
        # The demo's own key answered them, as a merchant's integration would.
        "responded_by": key_pk if review.response is not None else None,
        "created_at": review.created_at,
        "updated_at": review.responded_at or review.created_at,
    }


async def _insert_ledgers(session: AsyncSession, store_id: int, people: Sequence[_Customer]) -> None:
    loyalty = [_entry_row(store_id, person, entry, "delta") for person in people for entry in person.loyalty]
    house = [_entry_row(store_id, person, entry, "amount") for person in people for entry in person.house_account]
    for model, rows in ((LoyaltyTransaction, loyalty), (HouseAccountTransaction, house)):
        for chunk in _chunks(rows):
            await insert_rows(session, model, list(chunk))


def _entry_row(store_id: int, person: _Customer, entry: _Entry, amount: str) -> dict[str, Any]:
    return {
        "store_id": store_id,
        "customer_id": person.id,
        "kind": entry.kind,
        amount: entry.amount,
        "reason": entry.reason,
        "balance_after": entry.balance_after,
        "order_id": entry.order.id if entry.order is not None else None,
        "actor_key_id": None,
        "created_at": entry.at,
    }


def _product_row(store_id: int, product: _Product) -> dict[str, Any]:
    return {
        "store_id": store_id,
        "name": product.name,
        "slug": product.slug,
        "description": f"{product.name}. {product.category} : livraison dans les 58 wilayas, paiement à la livraison.",
        "price": product.price,
        "compare_price": product.compare_price,
        "cost_price": product.cost_price,
        "sku": product.sku,
        "track_stock": product.track_stock,
        "stock_quantity": product.stock_quantity,
        "low_stock_alert": 5,
        "status": product.status.value,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


def _customer_row(store_id: int, person: _Customer) -> dict[str, Any]:
    counted = person.counted_orders
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
        "total_spent": sum(order.total for order in counted),
        "last_order_at": max((order.placed_at for order in counted), default=None),
        "fraud_score": person.fraud_score,
        "is_banned": person.banned_at is not None,
        "ban_reason": person.ban_reason,
        "banned_at": person.banned_at,
        "archived_at": person.archived_at,
        "device_fingerprint": person.device_fingerprint,
        "identity_id": person.identity_id,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "locale": person.locale,
        "accepts_marketing": person.accepts_marketing,
        "metadata": person.metadata,
        "loyalty_balance": person.loyalty[-1].balance_after if person.loyalty else 0,
        "is_loyalty_enabled": person.is_loyalty_enabled,
        "is_house_account_enabled": person.is_house_account_enabled,
        "house_account_limit": person.house_account_limit,
        "house_account_balance": person.house_account[-1].balance_after if person.house_account else 0,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }


def _order_row(store_id: int, order: _Order) -> dict[str, Any]:
    person = order.customer
    return {
        "store_id": store_id,
        "customer_id": person.id,
        "order_number": f"ORD-{store_id}-{order.number_suffix}",
        "status": order.status.value,
        "payment_status": order.payment_status.value,
        "payment_method": (PaymentMethod.HOUSE_ACCOUNT if order.on_account else PaymentMethod.COD).value,
        "customer_name": f"{person.first_name} {person.last_name}",
        "customer_phone": person.phone,
        "customer_email": person.email,
        "wilaya_id": person.wilaya_id,
        "commune": person.commune,
        "address": person.address,
        "delivery_type": order.delivery_type.value,
        "subtotal": order.subtotal,
        "delivery_fee": order.delivery_fee,
        "total": order.total,
        "notes": order.notes,
        "created_at": order.placed_at,
        "updated_at": order.updated_at,
    }


def _item_row(order_id: int, line: _Line) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "product_id": line.product.id,
        "product_name": line.product.name,
        "sku": line.product.sku,
        "unit_price": line.product.price,
        "quantity": line.quantity,
        "total": line.total,
    }


def _history_row(order_id: int, step: _Step) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "field": step.field,
        "from_status": step.from_status,
        "to_status": step.to_status,
        "note": None,
        "actor_key_id": None,
        "created_at": step.at,
    }

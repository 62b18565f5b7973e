"""Drawing the demo store in memory, from the seeded generator only: the same seed always gives the same
records. Customer totals and fraud scores follow from the drawn orders by the rules checkout and the status
machine keep."""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from db.queries.slugs import slugify
from storegraph.demo import algeria
from storegraph.demo.records import (
    BASE_DATE,
    CANCELLED,
    CONFIRMED,
    DELIVERED,
    PENDING,
    SHIPPED,
    _Customer,
    _DemoData,
    _Line,
    _Order,
    _Product,
    _Step,
)
from storegraph.rules.customers.fraud import FraudSignals, fraud_score
from storegraph.rules.statuses import DeliveryType, OrderStatus, PaymentStatus, ProductStatus

HISTORY = timedelta(days=548)  # about 18 months
HISTORY_START = BASE_DATE - HISTORY

# The status each order is headed for; orders placed just before BASE_DATE stop wherever their timeline reaches.
STATUS_MIX: dict[OrderStatus, int] = {DELIVERED: 45, SHIPPED: 15, CONFIRMED: 15, PENDING: 15, CANCELLED: 10}
LINE_COUNT_WEIGHTS = {1: 30, 2: 30, 3: 25, 4: 15}
QUANTITY_WEIGHTS = {1: 75, 2: 18, 3: 7}
# Online orders peak in the evening, after work and after iftar; almost nobody orders at 4 am.
HOUR_WEIGHTS = (3, 2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 8, 8, 8, 9, 10, 11, 12, 14, 15, 13, 7)
# Wilayas weighted towards the big cities, where most online orders come from; the others weigh 1.
CITY_WEIGHTS = {16: 30, 31: 12, 25: 9, 19: 6, 9: 6, 23: 5, 15: 5, 35: 4, 42: 3, 6: 3, 13: 3, 5: 3}
# Mobile prefixes of Ooredoo (05), Mobilis (06) and Djezzy (07) that libphonenumber accepts.
MOBILE_PREFIXES = ("055", "065", "066", "067", "069", "077", "078", "079")
# A few loyal customers order again and again; the cap keeps one customer from owning the store.
LOYALTY_SHAPE, LOYALTY_CAP = 1.2, 40.0
# Share of products that exist when the shop opens; the rest are added over its history.
LAUNCH_SHARE = 0.6

CUSTOMER_NOTES = (
    "Appeler avant de livrer",
    "Livraison après 17h",
    "Préfère le bureau de livraison",
    "Cliente fidèle, offrir la livraison",
    "Numéro WhatsApp identique",
)
ORDER_NOTES = (
    "Appeler avant de passer",
    "Livrer après 17h",
    "C'est un cadeau, ne pas mettre la facture",
    "Taille M si possible",
    "Vérifier la couleur avant l'envoi",
    "Client injoignable le matin",
)
# Share of customers the merchant archived (a soft delete), so GraphiQL's isArchived filter finds some.
ARCHIVED_SHARE = 0.03
PROFILE_LOCALES: dict[str | None, int] = {"ar-DZ": 50, "fr-DZ": 40, None: 10}
# Where a customer first heard of the shop, when the merchant noted it (also a tag).
PROFILE_SOURCES: dict[str | None, int] = {"instagram": 15, "facebook": 12, "tiktok": 6, "bouche-à-oreille": 4, None: 63}
BAN_REASONS = ("Colis refusés à plusieurs reprises", "Fausses commandes", "Numéro injoignable", "Comportement abusif")

T = TypeVar("T")


def _generate(rng: random.Random, *, customers: int, orders: int, products: int) -> _DemoData:
    if orders and not (customers and products):
        raise ValueError("orders need at least one customer and one product")
    catalogue = _draw_products(rng, products)
    people = _draw_customers(rng, customers)
    book = _draw_orders(rng, people, catalogue, orders)
    _settle_customers(rng, people)
    people.sort(key=lambda person: person.created_at)  # ids then follow sign-up order, as in a live store
    # Drawn last, so the records drawn before them stay what the same seed always gave.
    _draw_profiles(rng, people)
    return _DemoData(products=catalogue, customers=people, orders=book)


def _draw_profiles(rng: random.Random, people: Sequence[_Customer]) -> None:
    """What a merchant adds to a profile: some genders, birth dates and languages, marketing consent, tags that
    follow from the orders (``vip``, ``fidèle``, ``annulations``) or from where the customer came from, and
    metadata."""
    vip_threshold = _top_spend(people, share=0.05)
    for person in people:
        if rng.random() < 0.8:
            person.gender = "female" if person.first_name in algeria.FEMALE_FIRST_NAMES else "male"
        if rng.random() < 0.35:
            person.birth_date = (BASE_DATE - timedelta(days=rng.randint(18 * 365, 65 * 365))).date()
        person.locale = _weighted(rng, PROFILE_LOCALES)
        person.accepts_marketing = rng.random() < 0.45
        counted = person.counted_orders
        spent = sum(order.total for order in counted)
        tags = []
        if counted and spent >= vip_threshold:
            tags.append("vip")
        if len(counted) >= 5:
            tags.append("fidèle")
        if len(person.orders) - len(counted) >= 2:
            tags.append("annulations")
        if rng.random() < 0.03:
            tags.append("grossiste")
        source = _weighted(rng, PROFILE_SOURCES)
        if source is not None:
            tags.append(source)
            person.metadata["source"] = source
        if rng.random() < 0.3:
            person.metadata["contact"] = rng.choice(("whatsapp", "appel", "sms"))
        person.tags = tags


def _top_spend(people: Sequence[_Customer], *, share: float) -> int:
    spends = sorted((sum(order.total for order in person.counted_orders) for person in people), reverse=True)
    return spends[int(len(spends) * share)] if spends else 0


def _draw_products(rng: random.Random, count: int) -> list[_Product]:
    listings = _listings()
    rng.shuffle(listings)
    launch_count = max(1, round(count * LAUNCH_SHARE))
    made = [
        _draw_product(rng, *listings[index % len(listings)], launched=index < launch_count) for index in range(count)
    ]
    # The bestseller of the opening day is on sale, so every order, even the first one, has something to buy.
    if made:
        made[0].status = ProductStatus.ACTIVE
        made[0].popularity = max(product.popularity for product in made)
    made.sort(key=lambda product: product.created_at)
    _assign_slugs_and_skus(made)
    return made


def _listings() -> list[tuple[algeria.CatalogueItem, str | None]]:
    """Every product a shop could list: each catalogue item plain and in each of its category's variants."""
    return [
        (item, variant) for item in algeria.CATALOGUE for variant in (None, *algeria.VARIANTS.get(item.category, ()))
    ]


def _draw_product(rng: random.Random, item: algeria.CatalogueItem, variant: str | None, *, launched: bool) -> _Product:
    price = item.price if variant is None else _round_to(item.price * rng.uniform(0.95, 1.12), 50)
    tracked = rng.random() < 0.7
    if launched:
        created_at = HISTORY_START - timedelta(minutes=rng.randint(60, 60 * 24 * 60))
    else:
        created_at = HISTORY_START + timedelta(minutes=rng.randint(0, int(HISTORY.total_seconds() // 60) - 1))
    edited = rng.random() < 0.4
    return _Product(
        name=item.name if variant is None else f"{item.name} - {variant}",
        category=item.category,
        sku_stem=item.sku_stem,
        price=price,
        compare_price=_round_to(price * rng.uniform(1.15, 1.4), 100) if rng.random() < 0.3 else None,
        cost_price=_round_to(price * rng.uniform(0.45, 0.7), 10) if rng.random() < 0.5 else None,
        track_stock=tracked,
        stock_quantity=_draw_stock(rng) if tracked else 0,
        status=_weighted(rng, {ProductStatus.ACTIVE: 85, ProductStatus.DRAFT: 10, ProductStatus.ARCHIVED: 5}),
        popularity=rng.paretovariate(1.5),
        created_at=created_at,
        updated_at=created_at + (BASE_DATE - created_at) * rng.random() if edited else created_at,
    )


def _draw_stock(rng: random.Random) -> int:
    # Some tracked products run low, so the low-stock alert (5) has something to show.
    return rng.randint(0, 5) if rng.random() < 0.15 else rng.randint(6, 300)


def _assign_slugs_and_skus(catalogue: Sequence[_Product]) -> None:
    """Slugs from names, ``-2``, ``-3`` on repeats (oldest product first, as ``free_slug`` hands them out);
    SKUs numbered per catalogue stem (``TS-COT-001``)."""
    slugs: set[str] = set()
    stem_uses: Counter[str] = Counter()
    for product in catalogue:
        base = slug = slugify(product.name) or "produit"
        suffix = 1
        while slug in slugs:
            suffix += 1
            slug = f"{base}-{suffix}"
        slugs.add(slug)
        product.slug = slug
        stem_uses[product.sku_stem] += 1
        product.sku = f"{product.sku_stem}-{stem_uses[product.sku_stem]:03d}"


def _draw_customers(rng: random.Random, count: int) -> list[_Customer]:
    wilaya_ids = [wilaya_id for wilaya_id, _ in algeria.WILAYAS]
    wilaya_cumulative = list(itertools.accumulate(CITY_WEIGHTS.get(wilaya_id, 1) for wilaya_id in wilaya_ids))
    phones: set[str] = set()
    emails: set[str] = set()
    fingerprints: list[str] = []
    people: list[_Customer] = []
    for _ in range(count):
        female = rng.random() < 0.5
        first = rng.choice(algeria.FEMALE_FIRST_NAMES if female else algeria.MALE_FIRST_NAMES)
        last = rng.choice(algeria.FAMILY_NAMES)
        wilaya_id = rng.choices(wilaya_ids, cum_weights=wilaya_cumulative)[0]
        people.append(
            _Customer(
                first_name=first,
                last_name=last,
                phone=_unique_phone(rng, phones),
                email=_unique_email(rng, first, last, emails) if rng.random() < 0.6 else None,
                wilaya_id=wilaya_id,
                commune=rng.choice(algeria.COMMUNES[wilaya_id]),
                address=_draw_address(rng),
                notes=rng.choice(CUSTOMER_NOTES) if rng.random() < 0.04 else None,
                device_fingerprint=_draw_fingerprint(rng, fingerprints) if rng.random() < 0.65 else None,
                identity_id=f"id-{rng.getrandbits(64):016x}" if rng.random() < 0.25 else None,
            )
        )
    return people


def _unique_phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10_000_000):07d}"
        if phone not in taken:
            taken.add(phone)
            return phone


def _unique_email(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    first_part, last_part = slugify(first).replace("-", ""), slugify(last).replace("-", "")
    local = rng.choice(
        (
            f"{first_part}.{last_part}",
            f"{first_part}{last_part}",
            f"{first_part[0]}.{last_part}",
            f"{last_part}.{first_part}",
        )
    )
    domain = rng.choice(algeria.EMAIL_DOMAINS)
    while True:
        email = f"{local}{rng.randint(1, 999)}@{domain}"
        if email not in taken:
            taken.add(email)
            return email


def _draw_address(rng: random.Random) -> str:
    street = rng.choice(algeria.STREET_NAMES)
    kind = rng.randrange(5)
    if kind == 0:
        return (
            f"Cité {rng.choice((150, 200, 300, 500, 1000))} Logements, Bt {rng.randint(1, 40)}, N° {rng.randint(1, 60)}"
        )
    if kind == 1:
        return f"Cité AADL, Bloc {rng.choice('ABCDEFGH')}{rng.randint(1, 20)}, Appt {rng.randint(1, 120)}"
    if kind == 2:
        return (
            f"Lotissement {rng.choice(('El Nasr', 'El Feth', 'Ennakhil', 'Essalam'))}, Villa N° {rng.randint(1, 250)}"
        )
    if kind == 3:
        return f"Boulevard {street}, N° {rng.randint(1, 180)}"
    return f"{rng.randint(1, 120)} Rue {street}"


def _draw_fingerprint(rng: random.Random, seen: list[str]) -> str:
    # One phone shared by a family, or one fraudster with many names: both happen, and the fraud score counts it.
    if seen and rng.random() < 0.015:
        return rng.choice(seen)
    fingerprint = f"{rng.getrandbits(128):032x}"
    seen.append(fingerprint)
    return fingerprint


def _draw_orders(
    rng: random.Random, people: Sequence[_Customer], catalogue: Sequence[_Product], count: int
) -> list[_Order]:
    if count == 0:
        return []
    fees = _delivery_fees(rng)
    loyalty = list(itertools.accumulate(min(LOYALTY_CAP, rng.paretovariate(LOYALTY_SHAPE)) for _ in people))
    buyers = rng.choices(people, cum_weights=loyalty, k=count)
    sellable = [product for product in catalogue if product.status is not ProductStatus.DRAFT]
    sellable_since = [product.created_at for product in sellable]
    popularity = list(itertools.accumulate(product.popularity for product in sellable))
    numbers: set[str] = set()
    book: list[_Order] = []
    for customer in buyers:
        placed_at = _draw_order_time(rng)
        available = bisect.bisect_right(sellable_since, placed_at)
        delivery_type = DeliveryType.HOME if rng.random() < 0.7 else DeliveryType.DESK
        order = _Order(
            customer=customer,
            placed_at=placed_at,
            number_suffix=_unique_number_suffix(rng, placed_at, numbers),
            delivery_type=delivery_type,
            delivery_fee=fees[customer.wilaya_id][delivery_type],
            lines=_draw_lines(rng, sellable[:available], popularity[:available]),
            steps=_draw_history(rng, placed_at, customer.wilaya_id),
            notes=rng.choice(ORDER_NOTES) if rng.random() < 0.06 else None,
        )
        customer.orders.append(order)
        book.append(order)
    book.sort(key=lambda order: order.placed_at)  # ids then follow time, as in a live store
    return book


def _delivery_fees(rng: random.Random) -> dict[int, dict[DeliveryType, int]]:
    """One fee per wilaya and delivery type, as shops publish them: cheapest in Algiers, dearest in the south."""
    fees: dict[int, dict[DeliveryType, int]] = {}
    for wilaya_id, _ in algeria.WILAYAS:
        if wilaya_id == 16:
            home, desk = 400, 200
        elif wilaya_id in algeria.SOUTHERN_WILAYAS:
            home, desk = rng.randrange(750, 901, 50), rng.randrange(400, 501, 50)
        else:
            home, desk = rng.randrange(450, 751, 50), rng.randrange(200, 401, 50)
        fees[wilaya_id] = {DeliveryType.HOME: home, DeliveryType.DESK: desk}
    return fees


def _draw_order_time(rng: random.Random) -> datetime:
    # The shop grows: order density rises linearly to three times its opening level (inverse of the CDF).
    fraction = ((1 + 8 * rng.random()) ** 0.5 - 1) / 2
    day = min(HISTORY.days - 1, int(fraction * HISTORY.days))
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    return HISTORY_START + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))


def _unique_number_suffix(rng: random.Random, placed_at: datetime, taken: set[str]) -> str:
    while True:
        suffix = f"{placed_at:%Y%m%d}-{rng.getrandbits(16):04X}"
        if suffix not in taken:
            taken.add(suffix)
            return suffix


def _draw_lines(rng: random.Random, available: Sequence[_Product], popularity: Sequence[float]) -> list[_Line]:
    """Distinct products (an order has one line per product), bestsellers more often."""
    wanted = min(len(available), _weighted(rng, LINE_COUNT_WEIGHTS))
    chosen: list[int] = []
    while len(chosen) < wanted:
        index = rng.choices(range(len(available)), cum_weights=popularity)[0]
        if index not in chosen:
            chosen.append(index)
    return [_Line(product=available[index], quantity=_weighted(rng, QUANTITY_WEIGHTS)) for index in chosen]


def _draw_history(rng: random.Random, placed_at: datetime, wilaya_id: int) -> list[_Step]:
    """The order's steps towards the status it is headed for, cut at BASE_DATE: recent orders are still on their
    way. Delivery is when the courier collects the cash, so it also marks the order paid."""
    target = _weighted(rng, STATUS_MIX)
    confirmed_at = placed_at + _minutes(rng, 10, 20 * 60)
    shipped_at = confirmed_at + _minutes(rng, 2 * 60, 48 * 60)
    transit_days = (3, 7) if wilaya_id in algeria.SOUTHERN_WILAYAS else (1, 3)
    delivered_at = shipped_at + _minutes(rng, transit_days[0] * 24 * 60, transit_days[1] * 24 * 60)
    path = [(PENDING, placed_at), (CONFIRMED, confirmed_at), (SHIPPED, shipped_at), (DELIVERED, delivered_at)]
    if target is CANCELLED:
        # Customers cancel (or stop answering the phone) before the parcel leaves: from pending or confirmed.
        kept = rng.choice((1, 2))
        path = [*path[:kept], (CANCELLED, path[kept - 1][1] + _minutes(rng, 30, 48 * 60))]
    else:
        path = path[: [status for status, _ in path].index(target) + 1]
    steps: list[_Step] = []
    previous: OrderStatus | None = None
    for status, at in path:
        if at > BASE_DATE:
            break
        steps.append(_Step("status", previous.value if previous else None, status.value, at))
        previous = status
    if previous is DELIVERED:
        steps.append(_Step("payment_status", PaymentStatus.PENDING.value, PaymentStatus.PAID.value, steps[-1].at))
    return steps


def _settle_customers(rng: random.Random, people: Sequence[_Customer]) -> None:
    """Dates, bans and fraud scores that follow from each customer's orders."""
    devices = Counter(person.device_fingerprint for person in people if person.device_fingerprint)
    for person in people:
        person.orders.sort(key=lambda order: order.placed_at)
        if person.orders:
            # Checkout creates the customer with their first order.
            person.created_at = person.orders[0].placed_at
        else:
            person.created_at = HISTORY_START + timedelta(minutes=rng.randint(0, int(HISTORY.total_seconds() // 60)))
        # Every checkout refreshes the customer, and every cancellation changes their totals.
        touched = [person.created_at]
        touched += [order.placed_at for order in person.orders]
        touched += [order.cancelled_at for order in person.orders if order.cancelled_at]
        if rng.random() < 0.02:
            person.banned_at = min(BASE_DATE, max(touched) + _minutes(rng, 60, 7 * 24 * 60))
            person.ban_reason = rng.choice(BAN_REASONS)
            touched.append(person.banned_at)
        # Drawn from the customer's own phone, not the main stream, so the rest of the data stays as it was.
        archiving = random.Random(f"archive:{person.phone}")
        if archiving.random() < ARCHIVED_SHARE:
            # After the customer's last order: an order since would have restored the customer.
            person.archived_at = min(BASE_DATE, max(touched) + _minutes(archiving, 60, 30 * 24 * 60))
            touched.append(person.archived_at)
        person.updated_at = max(touched)
        shared = devices[person.device_fingerprint] - 1 if person.device_fingerprint else 0
        cancelled = len(person.orders) - len(person.counted_orders)
        # Velocity counts orders of the last 24 hours, long gone; refused deliveries are never generated.
        person.fraud_score = fraud_score(
            FraudSignals(
                cancelled_orders=cancelled, refused_deliveries=0, shared_device_customers=shared, recent_orders=0
            )
        )


def _weighted(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(minutes=rng.randint(low, high))


def _round_to(value: float, step: int) -> int:
    return max(step, round(value / step) * step)

"""The demo store's delivery zones and some customers' address books, drawn from their own random stream so the
rest of the demo data stays what the same seed always gave."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storegraph.demo import algeria
from storegraph.demo.records import BASE_DATE, _Customer

# About one customer in three has saved an address; some of them a second one (work, family).
WITH_BOOK = 0.35
WITH_SECOND = 0.3
SECOND_LABELS = ("Travail", "Parents", "Bureau")


def zone_rows(store_id: int) -> list[dict[str, Any]]:
    return [
        {
            "store_id": store_id,
            "name": name,
            "home_fee": home,
            "desk_fee": desk,
            "created_at": BASE_DATE,
            "updated_at": BASE_DATE,
        }
        for name, _wilayas, home, desk in algeria.DELIVERY_ZONES
    ]


def zone_wilaya_rows(store_id: int, zone_ids: Sequence[int]) -> list[dict[str, Any]]:
    return [
        {"store_id": store_id, "zone_id": zone_id, "wilaya_id": wilaya_id}
        for zone_id, (_name, wilayas, _home, _desk) in zip(zone_ids, algeria.DELIVERY_ZONES, strict=True)
        for wilaya_id in wilayas
    ]


def address_rows(rng: random.Random, store_id: int, people: Sequence[_Customer]) -> list[dict[str, Any]]:
    """The books of the customers who have one: their own address as the default (``Domicile``), and for some a
    second one, newer, in any wilaya."""
    rows: list[dict[str, Any]] = []
    for person in people:
        if rng.random() >= WITH_BOOK:
            continue
        home = (person.wilaya_id, person.commune, person.address)
        rows.append(_row(store_id, person, "Domicile", home, person.created_at, default=True))
        if rng.random() < WITH_SECOND:
            wilaya_id = rng.choice(algeria.WILAYAS)[0]
            street = f"{rng.randint(1, 120)} Rue {rng.choice(algeria.STREET_NAMES)}"
            place = (wilaya_id, rng.choice(algeria.COMMUNES[wilaya_id]), street)
            added = min(BASE_DATE, person.created_at + timedelta(days=rng.randint(1, 300)))
            rows.append(_row(store_id, person, rng.choice(SECOND_LABELS), place, added, default=False))
    return rows


def _row(
    store_id: int, person: _Customer, label: str, place: tuple[int, str, str], at: datetime, *, default: bool
) -> dict[str, Any]:
    wilaya_id, commune, line1 = place
    return {
        "store_id": store_id,
        "customer_id": person.id,
        "label": label,
        "line1": line1,
        "line2": None,
        "wilaya_id": wilaya_id,
        "commune": commune,
        "postal_code": f"{wilaya_id:02d}000",
        "country": "DZ",
        "phone": person.phone if default else None,
        "is_default": default,
        "created_at": at,
        "updated_at": at,
    }

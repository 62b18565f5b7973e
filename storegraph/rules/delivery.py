"""Delivery zones: a store's wilayas grouped into zones, each with a home and a desk delivery fee.

A wilaya is in at most one zone of a store (``conflict`` otherwise): checked here to name the zone that holds it,
and enforced by the database's unique (store, wilaya), so two concurrent writes cannot both take one. Checkout
charges the fee of the zone holding the order's wilaya (storegraph/rules/orders/checkout.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.queries.delivery import (
    ZONE_NAME_CONSTRAINT,
    ZONE_WILAYA_CONSTRAINT,
    delete_zone_row,
    insert_zone,
    lock_zone,
    replace_zone_wilayas,
    update_zone_fields,
    wilaya_holders,
    zone_fees,
    zone_id_named,
)
from db.queries.slugs import violates
from storegraph.platform.errors import Conflict, NotFound
from storegraph.platform.validation import UNSET, WILAYAS, Problems, check_wilaya
from storegraph.rules.statuses import DeliveryType

MAX_ZONE_NAME = 100
ZONE = "Delivery zone"


@dataclass(frozen=True)
class ZoneChanges:
    """Fields to set; ``UNSET`` leaves a field as it is (an update). ``wilaya_ids`` replaces the zone's set."""

    name: str | None = UNSET
    wilaya_ids: list[int] | None = UNSET
    home_fee: int | None = UNSET
    desk_fee: int | None = UNSET

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not UNSET}


FIELD_NAMES = {"name": "name", "wilaya_ids": "wilayaIds", "home_fee": "homeFee", "desk_fee": "deskFee"}


async def create_zone(session: AsyncSession, store_id: int, changes: ZoneChanges) -> int:
    values = _validated(changes, creating=True)
    wilaya_ids = values.pop("wilaya_ids")
    await _ensure_free(session, store_id, None, values["name"], wilaya_ids)
    with _races_as_conflicts():
        zone_id = await insert_zone(session, store_id, values)
        await replace_zone_wilayas(session, store_id, zone_id, wilaya_ids)
    return zone_id


async def update_zone(session: AsyncSession, store_id: int, zone_id: int, changes: ZoneChanges) -> int:
    values = _validated(changes, creating=False)
    if await lock_zone(session, store_id, zone_id) is None:
        raise NotFound(ZONE, zone_id)
    wilaya_ids = values.pop("wilaya_ids", None)
    await _ensure_free(session, store_id, zone_id, values.get("name"), wilaya_ids or [])
    with _races_as_conflicts():
        await update_zone_fields(session, zone_id, values)
        if wilaya_ids is not None:
            await replace_zone_wilayas(session, store_id, zone_id, wilaya_ids)
    return zone_id


async def delete_zone(session: AsyncSession, store_id: int, zone_id: int) -> int:
    """Deletes the zone; its wilayas are free for another zone. Orders placed meanwhile keep their fees."""
    if await lock_zone(session, store_id, zone_id) is None:
        raise NotFound(ZONE, zone_id)
    await delete_zone_row(session, zone_id)
    return zone_id


async def zone_delivery_fee(
    session: AsyncSession, store_id: int, wilaya_id: int, delivery_type: DeliveryType
) -> int | None:
    """The fee of the store's zone holding ``wilaya_id`` for the delivery type, or ``None`` when no zone holds it."""
    fees = await zone_fees(session, store_id, wilaya_id)
    if fees is None:
        return None
    home_fee, desk_fee = fees
    return desk_fee if delivery_type is DeliveryType.DESK else home_fee


def _validated(changes: ZoneChanges, *, creating: bool) -> dict[str, Any]:
    problems = Problems()
    values = changes.given()
    for name, field in FIELD_NAMES.items():
        if creating and values.get(name) is None:
            problems.add(field, "blank", f"{field} is required")
        elif name in values and values[name] is None:
            problems.add(field, "blank", f"{field} cannot be null")
    if values.get("name") is not None:
        values["name"] = problems.text("name", values["name"], max_length=MAX_ZONE_NAME, required=True)
    if values.get("wilaya_ids") is not None:
        values["wilaya_ids"] = _wilayas(problems, values["wilaya_ids"])
    for name in ("home_fee", "desk_fee"):
        if values.get(name) is not None:
            problems.money(FIELD_NAMES[name], values[name])
    problems.raise_if_any()
    return values


def _wilayas(problems: Problems, wilaya_ids: list[int]) -> list[int]:
    """The zone's wilayas, ascending, each once; at least one (a zone without wilayas charges nothing)."""
    if not wilaya_ids:
        problems.add("wilayaIds", "blank", "a zone covers at least one wilaya")
    if len(wilaya_ids) > WILAYAS:
        problems.add("wilayaIds", "too_long", f"there are {WILAYAS} wilayas")
        return []
    for position, wilaya_id in enumerate(wilaya_ids):
        check_wilaya(problems, f"wilayaIds[{position}]", wilaya_id)
    return sorted(set(wilaya_ids))


async def _ensure_free(
    session: AsyncSession, store_id: int, zone_id: int | None, name: str | None, wilaya_ids: list[int]
) -> None:
    """``conflict`` when the name or a wilaya belongs to another zone of the store, naming that zone."""
    if name is not None:
        named = await zone_id_named(session, store_id, name)
        if named is not None and named != zone_id:
            raise Conflict("name", f"The store already has a delivery zone named {name!r}")
    if wilaya_ids:
        taken = {
            wilaya: holder
            for wilaya, holder in (await wilaya_holders(session, store_id, wilaya_ids)).items()
            if holder[0] != zone_id
        }
        if taken:
            held = ", ".join(f"{wilaya} ({holder[1]!r})" for wilaya, holder in sorted(taken.items()))
            raise Conflict("wilayaIds", f"A wilaya is in at most one zone; already in another zone: {held}")


@contextmanager
def _races_as_conflicts() -> Iterator[None]:
    """A lost race on a zone's unique name or on a wilaya as ``conflict``; any other integrity error is a bug."""
    try:
        yield
    except IntegrityError as error:
        if violates(error, ZONE_WILAYA_CONSTRAINT):
            raise Conflict("wilayaIds", "A wilaya of the zone was just taken by another zone") from None
        if violates(error, ZONE_NAME_CONSTRAINT):
            raise Conflict("name", "The store already has a delivery zone of that name") from None
        raise

"""Store settings: the name, and ``settings`` / ``metadata`` merged key by key with Stripe's metadata semantics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Store
from db.queries.stores import lock_store
from storegraph.platform.errors import NotFound
from storegraph.platform.validation import UNSET, Problems
from storegraph.rules.customers.loyalty import check_loyalty_rate
from storegraph.rules.statuses import DeliveryType

MAX_NAME = 100
# The settings key checkout reads the delivery fee from: {"home": 400, "desk": 300}, amounts in the currency.
DELIVERY_FEES = "delivery_fees"


@dataclass(frozen=True)
class StoreChanges:
    """``UNSET`` leaves a field as it is. ``settings`` and ``metadata`` are merged into the stored objects: a key
    with a value sets it, a key with ``null`` deletes it, keys not mentioned stay."""

    name: str | None = UNSET
    settings: Any = UNSET
    metadata: Any = UNSET


def merge_json_object(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(stored)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _merged(problems: Problems, field: str, stored: Mapping[str, Any], changes: Any) -> dict[str, Any] | None:
    if changes is UNSET:
        return None
    if changes is None:
        problems.add(field, "blank", f"{field} cannot be null; set a key to null to delete it")
        return None
    if not isinstance(changes, Mapping):
        problems.add(field, "invalid", f"{field} must be a JSON object")
        return None
    merged = merge_json_object(stored, changes)
    problems.json_object(field, merged)
    return merged


def _check_delivery_fees(problems: Problems, settings_changes: Any) -> None:
    """A new ``settings.delivery_fees`` maps delivery types to amounts checkout can add to an order total.

    Checked here, where it is written, because checkout treats a fee it cannot use as free: a typo in a type
    or a fee of ``"400"`` would otherwise silently make delivery free.
    """
    if not isinstance(settings_changes, Mapping) or settings_changes.get(DELIVERY_FEES) is None:
        return
    field = f"settings.{DELIVERY_FEES}"
    fees = settings_changes[DELIVERY_FEES]
    if not isinstance(fees, Mapping):
        problems.add(field, "invalid", f'{field} must be an object such as {{"home": 400, "desk": 300}}')
        return
    known = {delivery_type.value for delivery_type in DeliveryType}
    for delivery_type, fee in fees.items():
        if delivery_type not in known:
            problems.add(field, "invalid", f"{field} keys are delivery types: {', '.join(sorted(known))}")
            continue
        problems.money(f"{field}.{delivery_type}", fee)


async def update_store(session: AsyncSession, store_id: int, changes: StoreChanges) -> Store:
    store = await lock_store(session, store_id)
    if store is None:
        raise NotFound("Store", store_id)
    problems = Problems()
    name = UNSET
    if changes.name is not UNSET:
        name = problems.text("name", changes.name, max_length=MAX_NAME, required=True)
    settings = _merged(problems, "settings", store.settings or {}, changes.settings)
    _check_delivery_fees(problems, changes.settings)
    check_loyalty_rate(problems, changes.settings)
    metadata = _merged(problems, "metadata", store.metadata_ or {}, changes.metadata)
    problems.raise_if_any()
    if name is not UNSET:
        store.name = name
    if settings is not None:
        store.settings = settings
    if metadata is not None:
        store.metadata_ = metadata
    await session.flush()
    return store

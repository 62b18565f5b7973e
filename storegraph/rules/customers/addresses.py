"""A customer's address book: at most ``MAX_ADDRESSES`` addresses and, while there is any, exactly one default.

The first address becomes the default, making another the default unsets the old one, and deleting the default
promotes the newest remaining. Every write first locks the customer's row, so that concurrent writes to one book
run one after another and each sees the book the one before left (two first addresses at once: one default).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from db.queries.addresses import (
    address_row,
    clear_default,
    count_addresses,
    delete_address_row,
    insert_address,
    make_default,
    newest_address_id,
    update_address_fields,
)
from db.queries.customers import lock_customer
from storegraph.platform.countries import DEFAULT_COUNTRY, normalize_country
from storegraph.platform.errors import Conflict, NotFound, ValidationFailed
from storegraph.platform.validation import UNSET, Problems, check_wilaya
from storegraph.rules.customers.owned import owned_customer

MAX_ADDRESSES = 20
MAX_LABEL = 50
MAX_LINE = 255
MAX_COMMUNE = 100
MAX_POSTAL_CODE = 20
# The one country whose addresses name a wilaya (1–58) and only them.
WILAYA_COUNTRY = "DZ"
ADDRESS = "Customer address"


@dataclass(frozen=True)
class AddressChanges:
    """Fields to set; ``UNSET`` leaves a field as it is (an update), ``None`` clears a nullable one."""

    label: str | None = UNSET
    line1: str | None = UNSET
    line2: str | None = UNSET
    wilaya_id: int | None = UNSET
    commune: str | None = UNSET
    postal_code: str | None = UNSET
    country: str | None = UNSET
    phone: str | None = UNSET
    is_default: bool | None = UNSET

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not UNSET}


@dataclass(frozen=True, slots=True)
class AddressWrite:
    """What a write touched: the address (gone, for a delete) and its customer, for the payload to show."""

    address_id: int
    customer_id: int


async def add_address(
    session: AsyncSession, store_id: int, customer_id: int, changes: AddressChanges, region: str
) -> AddressWrite:
    """Adds an address; the customer's first becomes the default whatever ``is_default`` says."""
    values = _validated(changes, current=None, region=region)
    await owned_customer(session, store_id, customer_id, field="customerId")
    held = await count_addresses(session, customer_id)
    if held >= MAX_ADDRESSES:
        # The book's state refuses it, not the address: the same request succeeds once one is deleted.
        raise Conflict("customerId", f"A customer has at most {MAX_ADDRESSES} addresses; delete one first")
    wanted_default = bool(values.pop("is_default", False))
    if held and wanted_default:
        await clear_default(session, customer_id)
    address_id = await insert_address(
        session, store_id, customer_id, {**values, "is_default": wanted_default or not held}
    )
    return AddressWrite(address_id, customer_id)


async def update_address(
    session: AsyncSession,
    store_id: int,
    address_id: int,
    changes: AddressChanges,
    region: str,
    *,
    customer_id: int | None = None,
) -> AddressWrite:
    """Changes the given fields. ``is_default: true`` makes it the default; the default is never unset directly
    (a customer with addresses always has one): another address is made the default instead."""
    current = await _locked_address(session, store_id, address_id, customer_id)
    values = _validated(changes, current=current, region=region)
    wanted_default = values.pop("is_default", None)
    if wanted_default is False and current.is_default:
        raise ValidationFailed.single(
            "isDefault", "invalid", "the default address stays the default until another address is made the default"
        )
    if wanted_default and not current.is_default:
        await clear_default(session, current.customer_id)
        values["is_default"] = True
    await update_address_fields(session, address_id, values)
    return AddressWrite(address_id, current.customer_id)


async def set_default_address(
    session: AsyncSession, store_id: int, address_id: int, *, customer_id: int | None = None
) -> AddressWrite:
    current = await _locked_address(session, store_id, address_id, customer_id)
    if not current.is_default:
        await clear_default(session, current.customer_id)
        await make_default(session, address_id)
    return AddressWrite(address_id, current.customer_id)


async def delete_address(
    session: AsyncSession, store_id: int, address_id: int, *, customer_id: int | None = None
) -> AddressWrite:
    """Deletes the address; when it was the default, the newest remaining one becomes the default."""
    current = await _locked_address(session, store_id, address_id, customer_id)
    await delete_address_row(session, address_id)
    if current.is_default:
        promoted = await newest_address_id(session, current.customer_id)
        if promoted is not None:
            await make_default(session, promoted)
    return AddressWrite(address_id, current.customer_id)


async def _locked_address(session: AsyncSession, store_id: int, address_id: int, customer_id: int | None) -> Row[Any]:
    """The address, read again once its customer's row is locked (a concurrent write may have just deleted it or
    moved the default). ``customer_id``, when given, must be its customer: ``not_found`` otherwise."""
    found = await address_row(session, store_id, address_id)
    if found is None or (customer_id is not None and found.customer_id != customer_id):
        raise NotFound(ADDRESS, address_id)
    await lock_customer(session, store_id, found.customer_id)
    current = await address_row(session, store_id, address_id)
    if current is None:
        raise NotFound(ADDRESS, address_id)
    return current


def _validated(changes: AddressChanges, *, current: Row[Any] | None, region: str) -> dict[str, Any]:
    """The columns to write, checked; ``current`` is the address being updated (``None`` when adding)."""
    problems = Problems()
    values = changes.given()
    adding = current is None
    if adding or "line1" in values:
        values["line1"] = problems.text("line1", values.get("line1"), max_length=MAX_LINE, required=True)
    for name, field, limit in (
        ("label", "label", MAX_LABEL),
        ("line2", "line2", MAX_LINE),
        ("commune", "commune", MAX_COMMUNE),
        ("postal_code", "postalCode", MAX_POSTAL_CODE),
    ):
        if name in values:
            values[name] = problems.text(field, values[name], max_length=limit)
    if values.get("phone") is not None and values["phone"].strip():
        values["phone"] = problems.phone("phone", values["phone"], region)
    elif "phone" in values:
        values["phone"] = None
    if "is_default" in values and values["is_default"] is None:
        if adding:
            del values["is_default"]
        else:
            problems.add("isDefault", "blank", "isDefault cannot be null")
    _check_place(problems, values, current)
    problems.raise_if_any()
    return values


def _check_place(problems: Problems, values: dict[str, Any], current: Row[Any] | None) -> None:
    """The country (alpha-2, ``DZ`` by default) and the wilaya, which a DZ address needs and no other has."""
    if "country" in values:
        raw = values["country"]
        if raw is None:
            if current is not None:
                problems.add("country", "blank", "country cannot be null")
                return
            values["country"] = DEFAULT_COUNTRY
        else:
            code = normalize_country(raw)
            if code is None:
                problems.add("country", "invalid", "country must be an ISO 3166-1 alpha-2 code such as DZ")
                return
            values["country"] = code
    elif current is None:
        values["country"] = DEFAULT_COUNTRY
    country = values.get("country", current.country if current is not None else DEFAULT_COUNTRY)
    if country != WILAYA_COUNTRY and "wilaya_id" not in values:
        # An address moved abroad leaves its wilaya behind.
        values["wilaya_id"] = None
    wilaya_id = values.get("wilaya_id", current.wilaya_id if current is not None else None)
    if country == WILAYA_COUNTRY:
        if wilaya_id is None:
            problems.add("wilayaId", "blank", "wilayaId is required for an address in DZ")
        check_wilaya(problems, "wilayaId", wilaya_id)
    elif wilaya_id is not None:
        problems.add("wilayaId", "invalid", f"wilayaId is for addresses in {WILAYA_COUNTRY} only; leave it null")

"""A merchant creating and editing a customer's profile: the phone normalised and unique per store, a birth date in
the past, a locale the language tables know, metadata merged key by key (Stripe's rules), tags replaced whole."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import pycountry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer
from db.queries.customers import (
    CUSTOMER_PHONE_CONSTRAINT,
    customer_id_with_phone,
    insert_customer,
    update_customer_fields,
)
from db.queries.slugs import violates
from storegraph.platform.errors import Conflict
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import UNSET, Problems, check_wilaya
from storegraph.rules.customers.owned import owned_customer
from storegraph.rules.customers.profile import MAX_NOTES
from storegraph.rules.customers.tags import normalize_tags, replace_customer_tags
from storegraph.rules.statuses import Gender
from storegraph.rules.stores import merge_json_object

MAX_NAME = 100
MAX_COMMUNE = 100
MAX_ADDRESS = 255
MAX_LOCALE = 35
# Stripe's bounds on metadata: 50 keys of at most 40 characters; the whole object within the JSON bounds of
# storegraph/platform/validation.py (16 KB, 10 levels).
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY = 40
# Nobody living was born before; a year such as 0001 is a typing slip.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
# A BCP 47 tag as clients send it: a language (2 or 3 letters), then subtags; ``fr_DZ`` is read as ``fr-DZ``.
LOCALE = re.compile(r"([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{1,8})*)")


@dataclass(frozen=True)
class CustomerChanges:
    """Fields to set; ``UNSET`` leaves a field as it is (PATCH), ``None`` clears a nullable one. ``metadata`` is
    merged into the stored object (a key set to ``None`` is deleted); ``tags`` replaces the set."""

    first_name: str | None = UNSET
    last_name: str | None = UNSET
    phone: str | None = UNSET
    email: str | None = UNSET
    gender: Gender | None = UNSET
    birth_date: date | None = UNSET
    locale: str | None = UNSET
    accepts_marketing: bool | None = UNSET
    tags: Sequence[str] | None = UNSET
    metadata: Any = UNSET
    notes: str | None = UNSET
    wilaya_id: int | None = UNSET
    commune: str | None = UNSET
    address: str | None = UNSET
    # The ledgers' switches and the house account's limit (None: no limit of the merchant's own).
    is_loyalty_enabled: bool | None = UNSET
    is_house_account_enabled: bool | None = UNSET
    house_account_limit: int | None = UNSET

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not UNSET}


NOT_NULLABLE = ("phone", "accepts_marketing", "tags", "metadata", "is_loyalty_enabled", "is_house_account_enabled")
TEXTS = {"commune": MAX_COMMUNE, "address": MAX_ADDRESS, "notes": MAX_NOTES}


@dataclass(frozen=True)
class _Checked:
    columns: dict[str, Any]
    # The new tags (key → name), or None to leave them.
    tags: dict[str, str] | None


def _checked(
    changes: CustomerChanges, region: str, stored_metadata: Mapping[str, Any] | None, *, creating: bool
) -> _Checked:
    problems = Problems()
    values = changes.given()
    if creating and values.get("phone") is None:
        problems.add("phone", "blank", "phone is required")
    # On creation null is the default of each (no tags, empty metadata); an update cannot clear them.
    for name in NOT_NULLABLE:
        if name in values and values[name] is None and not creating:
            problems.add(name, "blank", f"{name} cannot be null")
    columns: dict[str, Any] = {}
    for name in ("first_name", "last_name"):
        if name in values:
            columns[name] = problems.text(name, values[name], max_length=MAX_NAME) or ""
    for name, max_length in TEXTS.items():
        if name in values:
            columns[name] = problems.text(name, values[name], max_length=max_length)
    if values.get("phone") is not None:
        columns["phone"] = problems.phone("phone", values["phone"], region)
    if "email" in values:
        columns["email"] = problems.email("email", values["email"])
    if "gender" in values:
        columns["gender"] = None if values["gender"] is None else Gender(values["gender"]).value
    if "birth_date" in values:
        columns["birth_date"] = _birth_date(problems, values["birth_date"])
    if "locale" in values:
        columns["locale"] = _locale(problems, values["locale"])
    for name in ("accepts_marketing", "is_loyalty_enabled", "is_house_account_enabled"):
        if values.get(name) is not None:
            columns[name] = values[name]
    if "house_account_limit" in values:
        # A limit below the current balance is allowed: it stops further charges until the customer pays.
        if values["house_account_limit"] is not None:
            problems.money("house_account_limit", values["house_account_limit"])
        columns["house_account_limit"] = values["house_account_limit"]
    if "wilaya_id" in values:
        check_wilaya(problems, "wilaya_id", values["wilaya_id"])
        columns["wilaya_id"] = values["wilaya_id"]
    metadata = _metadata(problems, stored_metadata, values.get("metadata", UNSET))
    if metadata is not None:
        columns["metadata_"] = metadata
    tags = normalize_tags(problems, "tags", values["tags"]) if values.get("tags") is not None else None
    problems.raise_if_any()
    return _Checked(columns, tags)


def _birth_date(problems: Problems, value: date | None) -> date | None:
    if value is not None and not EARLIEST_BIRTH_DATE <= value <= utcnow().date():
        problems.add(
            "birth_date",
            "out_of_range",
            f"birth_date must be between {EARLIEST_BIRTH_DATE} and today, not in the future",
        )
    return value


def _locale(problems: Problems, value: str | None) -> str | None:
    """``fr``, ``ar-DZ``, ``fr_dz`` (as ``fr-DZ``); the language must be an ISO 639 code, a two-letter region an ISO
    3166 country."""
    if value is None or not value.strip():
        return None
    match = LOCALE.fullmatch(value.strip())
    language = match.group(1).lower() if match else ""
    known = pycountry.languages.get(**{f"alpha_{len(language)}": language}) if match else None
    subtags = re.split(r"[-_]", match.group(2))[1:] if match else []
    if match is None or known is None or len(value.strip()) > MAX_LOCALE:
        problems.add("locale", "invalid", "locale must be a language tag such as fr, ar or fr-DZ")
        return None
    normalised = [language]
    for subtag in subtags:
        if len(subtag) == 2 and subtag.isalpha():
            if pycountry.countries.get(alpha_2=subtag.upper()) is None:
                problems.add("locale", "invalid", f"locale: {subtag} is not a country code")
                return None
            normalised.append(subtag.upper())
        else:
            normalised.append(subtag)
    return "-".join(normalised)


def _metadata(problems: Problems, stored: Mapping[str, Any] | None, changes: Any) -> dict[str, Any] | None:
    """The metadata to store: ``changes`` merged into ``stored`` (on creation, into nothing); ``None`` to leave it."""
    if changes is UNSET or changes is None:
        return None  # null is refused with the other fields that cannot be null
    if not isinstance(changes, Mapping):
        problems.add("metadata", "invalid", "metadata must be a JSON object")
        return None
    for key in changes:
        if isinstance(key, str) and not 1 <= len(key) <= MAX_METADATA_KEY:
            problems.add("metadata", "invalid", f"metadata keys must be 1 to {MAX_METADATA_KEY} characters")
            return None
    merged = merge_json_object(stored or {}, changes)
    if len(merged) > MAX_METADATA_KEYS:
        problems.add("metadata", "too_many", f"metadata holds at most {MAX_METADATA_KEYS} keys")
        return None
    problems.json_object("metadata", merged)
    return merged


async def create_customer(session: AsyncSession, store_id: int, region: str, changes: CustomerChanges) -> Customer:
    checked = _checked(changes, region, None, creating=True)
    columns = {"metadata_": {}, "accepts_marketing": False, **checked.columns}
    await _ensure_phone_free(session, store_id, columns["phone"], None)
    with _phone_race_as_conflict():
        customer = await insert_customer(session, store_id, columns)
    if checked.tags:
        await replace_customer_tags(session, customer, checked.tags)
    return customer


async def update_customer(
    session: AsyncSession, store_id: int, region: str, customer_id: int, changes: CustomerChanges
) -> Customer:
    customer = await owned_customer(session, store_id, customer_id)
    checked = _checked(changes, region, customer.metadata_, creating=False)
    if "phone" in checked.columns:
        await _ensure_phone_free(session, store_id, checked.columns["phone"], customer.id)
    with _phone_race_as_conflict():
        await update_customer_fields(session, customer, checked.columns)
    if checked.tags is not None:
        await replace_customer_tags(session, customer, checked.tags)
    return customer


async def _ensure_phone_free(session: AsyncSession, store_id: int, phone: str, customer_id: int | None) -> None:
    existing = await customer_id_with_phone(session, store_id, phone)
    if existing is not None and existing != customer_id:
        raise Conflict("phone", "The store already has a customer with this phone")


@contextmanager
def _phone_race_as_conflict() -> Iterator[None]:
    """A lost race on the (store, phone) unique constraint as ``conflict``; any other integrity error is a bug."""
    try:
        yield
    except IntegrityError as error:
        if violates(error, CUSTOMER_PHONE_CONSTRAINT):
            raise Conflict("phone", "The store already has a customer with this phone") from None
        raise

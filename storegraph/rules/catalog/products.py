"""Catalogue rules: validation, slugs unique per store, SKUs unique per store, stock-low alerts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Product
from db.queries.catalog import (
    PRODUCT_SKU_CONSTRAINT,
    PRODUCT_SLUG_CONSTRAINT,
    delete_product_row,
    insert_product,
    lock_product,
    product_id_with_sku,
    update_product_fields,
)
from db.queries.executor import WriteTransaction
from db.queries.slugs import violates
from storegraph.platform.errors import Conflict, NotFound
from storegraph.platform.validation import UNSET, Problems
from storegraph.rules.event_bodies import stock_low_data
from storegraph.rules.outbox import EventName, record_event
from storegraph.rules.statuses import ProductStatus

MAX_NAME = 100
MAX_SKU = 64
MAX_DESCRIPTION = 20_000
# Stock counts and their alert threshold: far above any shop's stock, and within GraphQL's 32-bit ``Int``.
MAX_STOCK = 10**9
SLUG_CONSTRAINT = PRODUCT_SLUG_CONSTRAINT
SKU_CONSTRAINT = PRODUCT_SKU_CONSTRAINT


@dataclass(frozen=True)
class ProductChanges:
    """Fields to set; ``UNSET`` leaves a field as it is (PATCH), ``None`` clears a nullable one."""

    name: str | None = UNSET
    description: str | None = UNSET
    price: int | None = UNSET
    compare_price: int | None = UNSET
    cost_price: int | None = UNSET
    sku: str | None = UNSET
    track_stock: bool | None = UNSET
    stock_quantity: int | None = UNSET
    low_stock_alert: int | None = UNSET
    status: ProductStatus | None = UNSET

    def given(self) -> dict[str, Any]:
        # Read from the instance's dictionary: a ``getattr`` per field was most of this method's calls.
        values = self.__dict__
        return {name: values[name] for name in _CHANGE_NAMES if values[name] is not UNSET}


# Looked up once: ``dataclasses.fields`` builds its answer anew on every call.
_CHANGE_NAMES = tuple(f.name for f in fields(ProductChanges))


REQUIRED_ON_CREATE = ("name", "price")
NOT_NULLABLE = ("name", "price", "track_stock", "stock_quantity", "low_stock_alert", "status")


def _validated(changes: ProductChanges, *, creating: bool) -> dict[str, Any]:
    problems = Problems()
    values = changes.given()
    if creating:
        for name in REQUIRED_ON_CREATE:
            if values.get(name) is None:
                problems.add(name, "blank", f"{name} is required")
    for name in NOT_NULLABLE:
        if name in values and values[name] is None and not (creating and name in REQUIRED_ON_CREATE):
            problems.add(name, "blank", f"{name} cannot be null")
    if "name" in values and values["name"] is not None:
        values["name"] = problems.text("name", values["name"], max_length=MAX_NAME, required=True)
    if "sku" in values:
        values["sku"] = problems.text("sku", values["sku"], max_length=MAX_SKU)
    if "description" in values and values["description"] is not None and len(values["description"]) > MAX_DESCRIPTION:
        problems.add("description", "too_long", f"description must be at most {MAX_DESCRIPTION} characters")
    problems.plain_text("description", values.get("description"))
    for money in ("price", "compare_price", "cost_price"):
        if values.get(money) is not None:
            problems.money(money, values[money])
    problems.integer_range("stock_quantity", values.get("stock_quantity"), minimum=0, maximum=MAX_STOCK)
    problems.integer_range("low_stock_alert", values.get("low_stock_alert"), minimum=0, maximum=MAX_STOCK)
    problems.raise_if_any()
    if isinstance(values.get("status"), ProductStatus):
        values["status"] = values["status"].value
    return values


async def _ensure_sku_free(session: WriteTransaction, store_id: int, sku: str | None, product_id: int | None) -> None:
    if sku is None:
        return
    existing = await product_id_with_sku(session, store_id, sku)
    if existing is not None and existing != product_id:
        raise Conflict("sku", f"SKU {sku} is already used by another product")


async def create_product(session: WriteTransaction, store_id: int, changes: ProductChanges) -> Row[Any]:
    """The product created, as the reads by id show it (answered by the insert itself)."""
    values = _validated(changes, creating=True)
    await _ensure_sku_free(session, store_id, values.get("sku"), None)
    values.setdefault("status", ProductStatus.DRAFT.value)
    with _sku_race_as_conflict():
        product = await insert_product(session, store_id, values)
    if product.track_stock and product.stock_quantity <= product.low_stock_alert:
        await record_event(session, store_id, EventName.PRODUCT_STOCK_LOW, stock_low_data(product))
    return product


async def update_product(session: AsyncSession, store_id: int, product_id: int, changes: ProductChanges) -> Product:
    values = _validated(changes, creating=False)
    product = await _owned_product(session, store_id, product_id)
    if "sku" in values:
        await _ensure_sku_free(session, store_id, values["sku"], product.id)
    was_low = product.track_stock and product.stock_quantity <= product.low_stock_alert
    with _sku_race_as_conflict():
        await update_product_fields(session, product, values)
    now_low = product.track_stock and product.stock_quantity <= product.low_stock_alert
    if now_low and not was_low:
        await record_event(session, store_id, EventName.PRODUCT_STOCK_LOW, stock_low_data(product))
    return product


async def delete_product(session: AsyncSession, store_id: int, product_id: int) -> int:
    """Deletes the product; past order lines keep their copy of its name, SKU and price."""
    product = await _owned_product(session, store_id, product_id)
    await delete_product_row(session, product)
    return product_id


async def _owned_product(session: AsyncSession, store_id: int, product_id: int) -> Product:
    product = await lock_product(session, store_id, product_id)
    if product is None:
        raise NotFound("Product", product_id)
    return product


@contextmanager
def _sku_race_as_conflict() -> Iterator[None]:
    """A lost race on the (store, sku) unique constraint as ``conflict``; any other integrity error is a bug."""
    try:
        yield
    except IntegrityError as error:
        if violates(error, SKU_CONSTRAINT):
            raise Conflict("sku", "That SKU is already used by another product") from None
        raise

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from db.direct_reads import PreparedRead
from db.models import LandingPage, Product
from db.queries.by_ids import RowsByIds
from db.queries.executor import Executor, WriteTransaction, fetch_rows
from db.queries.pagination import (
    COUNT_SHAPES,
    PAGE_SHAPES,
    Cursor,
    Ordering,
    page_parameters,
    page_query,
    page_statement,
)
from db.queries.slugs import insert_returning_with_free_slug, insert_with_free_slug, slugify, unique_constraint
from db.queries.text import contains_ci, contains_pattern
from storegraph.platform.timestamps import utcnow

PRODUCT_COLUMNS = tuple(Product.__table__.c)

PRODUCT_ORDERINGS: dict[str, tuple[QueryableAttribute[Any], type]] = {
    "created_at": (Product.created_at, datetime),
    "updated_at": (Product.updated_at, datetime),
    "price": (Product.price, int),
}


# Made once per field and direction (a handful): each list request would otherwise build it anew.
@functools.cache
def product_ordering(field: str, descending: bool) -> Ordering:
    column, kind = PRODUCT_ORDERINGS[field]
    name = f"products.{field}:{'desc' if descending else 'asc'}"
    return Ordering(name=name, column=column, id_column=Product.id, descending=descending, kind=kind)


@dataclass(frozen=True, slots=True)
class ProductFilter:
    status: str | None = None
    search: str | None = None

    def shape(self) -> ProductShape:
        return ProductShape(status=self.status is not None, search=bool(self.search))

    def parameters(self, store_id: int) -> dict[str, Any]:
        """The values of the shape's parameters: the status, and the search's pattern."""
        parameters: dict[str, Any] = {"store_id": store_id}
        if self.status is not None:
            parameters["status"] = self.status
        if self.search:
            parameters["search"] = contains_pattern(self.search)
        return parameters


@dataclass(frozen=True, slots=True)
class ProductShape:
    """Which conditions a ``ProductFilter`` sets: one statement per shape, the filter's values its parameters."""

    status: bool
    search: bool

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Product.store_id == bindparam("store_id")]
        if self.status:
            conditions.append(Product.status == bindparam("status"))
        if self.search:
            conditions.append(contains_ci((Product.name, Product.sku, Product.description), "search"))
        return conditions


async def list_products(
    db: Executor, store_id: int, where: ProductFilter, ordering: Ordering, after: list[Any] | None, first: int
) -> list[Row[Any]]:
    cursor, parameters = page_parameters(ordering, after, first)
    page = _products_page(where.shape(), ordering, cursor)
    return list(await fetch_rows(db, page, where.parameters(store_id) | parameters))


@functools.lru_cache(maxsize=PAGE_SHAPES)
def _products_page(shape: ProductShape, ordering: Ordering, cursor: Cursor) -> PreparedRead:
    return PreparedRead(page_statement(select(*PRODUCT_COLUMNS).where(*shape.conditions()), ordering, cursor))


async def count_products(db: Executor, store_id: int, where: ProductFilter) -> int:
    rows = await fetch_rows(db, _products_count(where.shape()), where.parameters(store_id))
    return int(rows[0][0])


@functools.lru_cache(maxsize=COUNT_SHAPES)
def _products_count(shape: ProductShape) -> PreparedRead:
    return PreparedRead(select(func.count().label("products")).select_from(Product).where(*shape.conditions()))


products_by_ids = RowsByIds(PRODUCT_COLUMNS, Product.store_id, Product.id)


LANDING_PAGE_COLUMNS = tuple(LandingPage.__table__.c)
NEWEST_LANDING_PAGES = Ordering(
    name="landing_pages.created_at:desc",
    column=LandingPage.created_at,
    id_column=LandingPage.id,
    descending=True,
    kind=datetime,
)


@dataclass(frozen=True, slots=True)
class LandingPageFilter:
    status: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        return [LandingPage.status == self.status] if self.status is not None else []


async def list_landing_pages(
    db: Executor, store_id: int, where: LandingPageFilter, after: list[Any] | None, first: int
) -> list[Row[Any]]:
    stmt = select(*LANDING_PAGE_COLUMNS).where(LandingPage.store_id == store_id, *where.conditions())
    return list((await db.execute(page_query(stmt, NEWEST_LANDING_PAGES, after, first))).all())


async def count_landing_pages(db: Executor, store_id: int, where: LandingPageFilter) -> int:
    stmt = select(func.count()).select_from(LandingPage).where(LandingPage.store_id == store_id, *where.conditions())
    return int((await db.execute(stmt)).scalar_one())


landing_pages_by_ids = RowsByIds(LANDING_PAGE_COLUMNS, LandingPage.store_id, LandingPage.id)


# --- writes ---
# The rules' reads-before-writes (locks, uniqueness checks) live here too: they run in the write's transaction.

PRODUCT_SLUG_CONSTRAINT = unique_constraint(Product, "store_id", "slug")
PRODUCT_SKU_CONSTRAINT = unique_constraint(Product, "store_id", "sku")
LANDING_PAGE_SLUG_CONSTRAINT = unique_constraint(LandingPage, "store_id", "slug")


async def product_id_with_sku(session: WriteTransaction, store_id: int, sku: str) -> int | None:
    stmt = select(Product.id).where(Product.store_id == store_id, Product.sku == sku)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_product(session: WriteTransaction, store_id: int, values: dict[str, Any]) -> Row[Any]:
    """Inserts a product with a slug of its name, numbered when the store has it already, and answers it as the
    reads by id do (``PRODUCT_COLUMNS``), from the insert itself.

    ``values`` are the product's columns (without ``store_id`` and ``slug``); an integrity error other than a lost
    slug race (a concurrent insert of the same SKU, say) is raised unchanged.
    """
    return await insert_returning_with_free_slug(
        session,
        Product,
        {"store_id": store_id, **values},
        slug_column=Product.slug,
        scope=lambda: (Product.store_id == store_id,),
        wanted=slugify(values["name"]) or "product",
        constraint=PRODUCT_SLUG_CONSTRAINT,
        returning=PRODUCT_COLUMNS,
    )


async def lock_product(session: AsyncSession, store_id: int, product_id: int) -> Product | None:
    """The store's product, locked (``FOR UPDATE``) until the transaction ends; ``None`` if the store has none."""
    stmt = select(Product).where(Product.id == product_id, Product.store_id == store_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_product_fields(session: AsyncSession, product: Product, values: dict[str, Any]) -> None:
    """Sets ``values`` on ``product`` and flushes: an UPDATE of the columns that changed."""
    for name, value in values.items():
        setattr(product, name, value)
    await session.flush()


async def delete_product_row(session: AsyncSession, product: Product) -> None:
    await session.delete(product)
    await session.flush()


async def decrement_stock(
    session: AsyncSession, store_id: int, product_id: int, quantity: int
) -> Row[int, str, str | None, int, int] | None:
    """Takes ``quantity`` from a tracked product's stock if it has that much; ``None`` if it has not (or the store
    has no such tracked product).

    One conditional UPDATE, so two concurrent orders can never both take the last unit. The row returned holds
    the product's ``id``, ``name``, ``sku``, ``stock_quantity`` (after the decrement) and ``low_stock_alert``.
    """
    stmt = (
        update(Product)
        .where(
            Product.id == product_id,
            Product.store_id == store_id,
            Product.track_stock.is_(True),
            Product.stock_quantity >= quantity,
        )
        .values(stock_quantity=Product.stock_quantity - quantity, updated_at=utcnow())
        .returning(Product.id, Product.name, Product.sku, Product.stock_quantity, Product.low_stock_alert)
    )
    return (await session.execute(stmt)).first()


async def product_stock_quantity(session: AsyncSession, product_id: int) -> int | None:
    return await session.scalar(select(Product.stock_quantity).where(Product.id == product_id))


async def increment_stock(session: WriteTransaction, store_id: int, product_id: int, quantity: int) -> None:
    """Puts ``quantity`` back into a tracked product's stock; an untracked or deleted product is left alone."""
    await session.execute(
        update(Product)
        .where(Product.id == product_id, Product.store_id == store_id, Product.track_stock.is_(True))
        .values(stock_quantity=Product.stock_quantity + quantity, updated_at=utcnow())
    )


async def product_id_in_store(session: AsyncSession, store_id: int, product_id: int) -> int | None:
    return await session.scalar(select(Product.id).where(Product.id == product_id, Product.store_id == store_id))


async def landing_page_id_with_slug(session: AsyncSession, store_id: int, slug: str) -> int | None:
    stmt = select(LandingPage.id).where(LandingPage.store_id == store_id, LandingPage.slug == slug)
    return await session.scalar(stmt)


async def insert_landing_page(session: AsyncSession, store_id: int, values: dict[str, Any]) -> LandingPage:
    """Inserts a landing page with the slug in ``values`` and flushes; a constraint broken is raised unchanged."""
    page = LandingPage(store_id=store_id, **values)
    session.add(page)
    await session.flush()
    return page


async def insert_landing_page_with_free_slug(
    session: AsyncSession, store_id: int, values: dict[str, Any]
) -> LandingPage:
    """A slug of the title, numbered when taken: never a conflict, even when the same title is created at once.

    An integrity error other than a lost slug race (the product deleted meanwhile) is raised unchanged.
    """
    return await insert_with_free_slug(
        session,
        lambda slug: LandingPage(store_id=store_id, slug=slug, **values),
        slug_column=LandingPage.slug,
        scope=(LandingPage.store_id == store_id,),
        wanted=slugify(values["title"]) or "page",
        constraint=LANDING_PAGE_SLUG_CONSTRAINT,
    )


async def lock_landing_page(session: AsyncSession, store_id: int, page_id: int) -> LandingPage | None:
    """The store's landing page, locked (``FOR UPDATE``) until the transaction ends; ``None`` if the store has none."""
    stmt = select(LandingPage).where(LandingPage.id == page_id, LandingPage.store_id == store_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_landing_page_fields(session: AsyncSession, page: LandingPage, values: dict[str, Any]) -> None:
    """Sets ``values`` on ``page`` and flushes: an UPDATE of the columns that changed."""
    for name, value in values.items():
        setattr(page, name, value)
    await session.flush()

"""Landing page rules: a title, a slug unique per store (given, or derived from the title like a product's) and
an optional product of the same store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LandingPage
from db.queries.catalog import (
    LANDING_PAGE_SLUG_CONSTRAINT,
    insert_landing_page,
    insert_landing_page_with_free_slug,
    landing_page_id_with_slug,
    lock_landing_page,
    product_id_in_store,
    update_landing_page_fields,
)
from db.queries.slugs import MAX_SLUG, violates
from storegraph.platform.errors import Conflict, NotFound
from storegraph.platform.validation import UNSET, Problems
from storegraph.rules.statuses import LandingPageStatus

MAX_TITLE = 100
SLUG_CONSTRAINT = LANDING_PAGE_SLUG_CONSTRAINT
MAX_CONTENT = 100_000
# What slugify produces: lowercase letters and digits in groups joined by single dashes.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class LandingPageChanges:
    """Fields to set; ``UNSET`` leaves a field as it is (PATCH), ``None`` clears a nullable one."""

    title: str | None = UNSET
    slug: str | None = UNSET
    product_id: int | None = UNSET
    content: str | None = UNSET
    status: LandingPageStatus | None = UNSET

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not UNSET}


def _validated(changes: LandingPageChanges, *, creating: bool) -> dict[str, Any]:
    problems = Problems()
    values = changes.given()
    if creating or "title" in values:
        values["title"] = problems.text("title", values.get("title"), max_length=MAX_TITLE, required=True)
    if "slug" in values:
        slug = values["slug"]
        if slug is None:
            if creating:
                del values["slug"]  # derived from the title below
            else:
                problems.add("slug", "blank", "slug cannot be null")
        elif len(slug) > MAX_SLUG:
            problems.add("slug", "too_long", f"slug must be at most {MAX_SLUG} characters")
        elif not SLUG.match(slug):
            problems.add("slug", "invalid", "slug must be lowercase letters, digits and single dashes between them")
    if values.get("content") is not None and len(values["content"]) > MAX_CONTENT:
        problems.add("content", "too_long", f"content must be at most {MAX_CONTENT} characters")
    problems.plain_text("content", values.get("content"))
    if "status" in values and values["status"] is None:
        problems.add("status", "blank", "status cannot be null")
    problems.raise_if_any()
    if isinstance(values.get("status"), LandingPageStatus):
        values["status"] = values["status"].value
    return values


async def create_landing_page(session: AsyncSession, store_id: int, changes: LandingPageChanges) -> LandingPage:
    values = _validated(changes, creating=True)
    await _ensure_product(session, store_id, values.get("product_id"))
    values.setdefault("status", LandingPageStatus.DRAFT.value)
    if "slug" not in values:
        return await _create_with_derived_slug(session, store_id, values)
    await _ensure_slug_free(session, store_id, values["slug"], None)
    with _lost_race_as_error(values.get("product_id")):
        return await insert_landing_page(session, store_id, values)


async def _create_with_derived_slug(session: AsyncSession, store_id: int, values: dict[str, Any]) -> LandingPage:
    """A slug of the title, numbered when taken: never a conflict, even when the same title is created at once."""
    try:
        return await insert_landing_page_with_free_slug(session, store_id, values)
    except IntegrityError:
        # The only other constraint an insert can break: the product was deleted since _ensure_product.
        raise NotFound("Product", values.get("product_id"), field="productId") from None


async def update_landing_page(
    session: AsyncSession, store_id: int, page_id: int, changes: LandingPageChanges
) -> LandingPage:
    values = _validated(changes, creating=False)
    page = await lock_landing_page(session, store_id, page_id)
    if page is None:
        raise NotFound("Landing page", page_id)
    await _ensure_product(session, store_id, values.get("product_id"))
    if "slug" in values:
        await _ensure_slug_free(session, store_id, values["slug"], page.id)
    # The page's product once the changes are set, taken before the flush: a failed flush expires the page, and
    # reading it then raises PendingRollbackError instead of the error below.
    product_id = values.get("product_id", page.product_id)
    with _lost_race_as_error(product_id):
        await update_landing_page_fields(session, page, values)
    return page


async def _ensure_product(session: AsyncSession, store_id: int, product_id: int | None) -> None:
    if product_id is None:
        return
    found = await product_id_in_store(session, store_id, product_id)
    if found is None:
        raise NotFound("Product", product_id, field="productId")


async def _ensure_slug_free(session: AsyncSession, store_id: int, slug: str, page_id: int | None) -> None:
    existing = await landing_page_id_with_slug(session, store_id, slug)
    if existing is not None and existing != page_id:
        raise Conflict("slug", f"The slug {slug} is already used by another landing page")


@contextmanager
def _lost_race_as_error(product_id: int | None) -> Iterator[None]:
    """A lost race at the flush (the slug taken, the product deleted meanwhile) as ``conflict``/``not_found``."""
    try:
        yield
    except IntegrityError as error:
        if violates(error, SLUG_CONSTRAINT):
            raise Conflict("slug", "That slug is already used by another landing page") from None
        raise NotFound("Product", product_id, field="productId") from None

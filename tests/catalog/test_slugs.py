"""db/queries/slugs.py: one slugify for every slug, store slugs that never collide, and unique violations told
apart
by constraint (so a slug race is retried while an SKU race stays a conflict)."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import String
from sqlalchemy.exc import IntegrityError

from db.models import Product, Store
from db.queries.slugs import slugify, violates
from db.queries.stores import create_store
from db.session import begin_write
from storegraph.rules.catalog.products import SKU_CONSTRAINT, SLUG_CONSTRAINT
from tests.support.factories import create_product
from tests.support.factories import create_store as create_any_store

# --- slugify ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Tapis Berbère", "tapis-berbere"),
        ("  Été -- Promo!! ", "ete-promo"),
        ("Djellaba_Brodée 2024", "djellaba-brodee-2024"),
        ("★★★", ""),
        ("متجر", ""),
        ("Tapis_rouge\t2 -X-", "tapis-rouge-2-x"),
        ("ﬁne Ⅻ ２", "fine-xii-2"),
    ],
)
def test_slugify_keeps_ascii_letters_and_digits_joined_by_single_dashes(text, slug):
    assert slugify(text) == slug


def test_slugify_cuts_at_the_maximum_length_without_a_trailing_dash():
    assert slugify("abcd efgh", max_length=5) == "abcd"


# --- store slugs --------------------------------------------------------------------------------------------------


def unique_name(prefix: str) -> str:
    """Store slugs are unique across stores, and the database is shared by the whole run: no name is reused."""
    return f"{prefix} {secrets.token_hex(4)}"


async def test_two_stores_with_the_same_name_get_numbered_slugs(session):
    name = unique_name("Maison")

    first = await create_store(session, name=name, plan="free")
    second = await create_store(session, name=name, plan="free")

    assert first.slug == slugify(name)
    assert second.slug == f"{slugify(name)}-2"


async def test_a_store_slug_skips_a_number_that_another_name_already_took(session):
    # "Souk 3" takes souk-3; counting the slugs that start with souk would then hand souk-3 out a second time.
    name = unique_name("Souk")
    taken_by_another_name = await create_store(session, name=f"{name} 3", plan="free")
    first = await create_store(session, name=name, plan="free")
    second = await create_store(session, name=name, plan="free")
    third = await create_store(session, name=name, plan="free")

    base = slugify(name)
    assert [taken_by_another_name.slug, first.slug, second.slug, third.slug] == [
        f"{base}-3",
        base,
        f"{base}-2",
        f"{base}-4",
    ]


async def test_a_store_slug_is_the_shared_ascii_slug_of_its_name(session):
    token = secrets.token_hex(4)

    store = await create_store(session, name=f"Boutique Été {token}", plan="free")

    assert store.slug == f"boutique-ete-{token}"


async def test_a_store_name_without_letters_or_digits_gets_the_fallback_slug(session):
    store = await create_store(session, name="★★★", plan="free")

    assert store.slug == "store" or store.slug.startswith("store-")


async def test_a_numbered_slug_of_a_100_character_name_fits_the_column(session):
    name = secrets.token_hex(50)  # 100 characters, as long as a store name may be

    await create_store(session, name=name, plan="free")
    second = await create_store(session, name=name, plan="free")
    await session.flush()

    column_type = Store.__table__.c.slug.type
    assert isinstance(column_type, String)
    assert column_type.length is not None
    assert second.slug == f"{name}-2"
    assert len(second.slug) <= column_type.length


async def test_concurrent_creations_of_stores_with_one_name_all_succeed_with_distinct_slugs(sessionmaker):
    name = unique_name("Bazar")

    async def create_one() -> str:
        async with sessionmaker() as session:
            await begin_write(session)
            store = await create_store(session, name=name, plan="free")
            await session.commit()
            return store.slug

    slugs = await asyncio.gather(*(create_one() for _ in range(8)))

    assert len(set(slugs)) == 8
    assert slugify(name) in slugs


# --- telling unique violations apart ---------------------------------------------------------------------------


async def _duplicate_of(session, product: Product, **changes: object) -> IntegrityError:
    values = {"store_id": product.store_id, "name": "Copy", "slug": "copy", "price": 1, "sku": None, **changes}
    async with session.begin_nested() as savepoint:
        session.add(Product(**values))
        with pytest.raises(IntegrityError) as caught:
            await session.flush()
        await savepoint.rollback()
    return caught.value


async def test_a_duplicate_slug_violates_the_slug_constraint_only(session):
    product = await create_product(session, await create_any_store(session), sku="SLUG-TEST")

    error = await _duplicate_of(session, product, slug=product.slug)

    assert violates(error, SLUG_CONSTRAINT)
    assert not violates(error, SKU_CONSTRAINT)


async def test_a_duplicate_sku_violates_the_sku_constraint_only(session):
    product = await create_product(session, await create_any_store(session), sku="SKU-TEST")

    error = await _duplicate_of(session, product, sku=product.sku)

    assert violates(error, SKU_CONSTRAINT)
    assert not violates(error, SLUG_CONSTRAINT)

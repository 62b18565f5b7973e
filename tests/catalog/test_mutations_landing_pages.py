"""createLandingPage / updateLandingPage: validation, slugs unique per store, the product of the same store."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from db.models import LandingPage
from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from tests.support.factories import create_key, create_landing_page, create_product, create_store
from tests.support.mutation_helpers import assert_insufficient_scope, count_rows, snapshot, succeeded, user_errors

FIELDS = "id title slug productId content status product { id }"
CREATE = f"""
mutation($input: CreateLandingPageInput!) {{
  createLandingPage(input: $input) {{ landingPage {{ {FIELDS} }} userErrors {{ field code message }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateLandingPageInput!) {{
  updateLandingPage(input: $input) {{ landingPage {{ {FIELDS} }} userErrors {{ field code message }} }}
}}
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store)
    page = await create_landing_page(session, store, title="Existing", product=product)
    await session.commit()
    return store, key, product, page


# --- createLandingPage ------------------------------------------------------------------------------------------


async def test_create_with_every_field(gql, sessionmaker, shop):
    store, key, product, _page = shop

    payload = await gql.query(
        CREATE,
        {
            "input": {
                "title": "  Soldes d'été  ",
                "slug": "summer-sale",
                "productId": str(product.id),
                "content": "<h1>-50%</h1>",
                "status": "PUBLISHED",
            }
        },
        headers=key.headers,
    )

    page = succeeded(payload, "createLandingPage")["landingPage"]
    assert page["title"] == "Soldes d'été"
    assert page["slug"] == "summer-sale"
    assert page["productId"] == str(product.id)
    assert page["product"] == {"id": str(product.id)}
    assert page["status"] == "PUBLISHED"
    row = await snapshot(sessionmaker, LandingPage, int(page["id"]))
    assert row["store_id"] == store.id
    assert (row["title"], row["slug"], row["product_id"], row["content"], row["status"]) == (
        "Soldes d'été",
        "summer-sale",
        product.id,
        "<h1>-50%</h1>",
        "published",
    )


async def test_create_derives_a_free_slug_from_the_title_and_defaults_to_draft(gql, shop):
    _store, key, _product, _page = shop

    first = succeeded(
        await gql.query(CREATE, {"input": {"title": "Été Promo!"}}, headers=key.headers), "createLandingPage"
    )
    second = succeeded(
        await gql.query(CREATE, {"input": {"title": "Été promo"}}, headers=key.headers), "createLandingPage"
    )

    assert first["landingPage"]["slug"] == "ete-promo"
    assert second["landingPage"]["slug"] == "ete-promo-2"
    assert first["landingPage"]["status"] == "DRAFT"
    assert first["landingPage"]["productId"] is None


async def test_create_accepts_a_title_of_100_characters(gql, sessionmaker, shop):
    _store, key, _product, _page = shop
    title = "é" * 100  # characters, not bytes

    payload = await gql.query(CREATE, {"input": {"title": title}}, headers=key.headers)

    page = succeeded(payload, "createLandingPage")["landingPage"]
    assert page["title"] == title
    assert (await snapshot(sessionmaker, LandingPage, int(page["id"])))["title"] == title


async def test_ten_concurrent_creations_of_one_title_all_succeed_with_distinct_slugs(gql, sessionmaker, shop):
    store, key, _product, page = shop
    requests = [gql.query(CREATE, {"input": {"title": "Soldes"}}, headers=key.headers) for _ in range(10)]

    payloads = await asyncio.gather(*requests)

    created = [succeeded(payload, "createLandingPage")["landingPage"] for payload in payloads]
    slugs = [created_page["slug"] for created_page in created]
    assert len(set(slugs)) == 10
    assert "soldes" in slugs
    assert all(slug.startswith("soldes") for slug in slugs)
    async with sessionmaker() as check:
        stored = (await check.execute(select(LandingPage.slug).where(LandingPage.store_id == store.id))).scalars()
        assert sorted(stored) == sorted([*slugs, page.slug])


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"title": "   "}, "title", "blank"),
        ({"title": "x" * 101}, "title", "too_long"),
        ({"slug": "Summer Sale"}, "slug", "invalid"),
        ({"slug": "-sale"}, "slug", "invalid"),
        ({"slug": "a" * 201}, "slug", "too_long"),
        ({"productId": "abc"}, "productId", "invalid"),
        ({"content": "x" * 100_001}, "content", "too_long"),
        ({"content": "a\u0000b"}, "content", "invalid"),
    ],
)
async def test_create_refuses_invalid_input(gql, sessionmaker, shop, changes, field, code):
    store, key, _product, _page = shop

    payload = await gql.query(CREATE, {"input": {"title": "Valid", **changes}}, headers=key.headers)

    assert user_errors(payload, "createLandingPage") == [(field, code)]
    assert payload["data"]["createLandingPage"]["landingPage"] is None
    assert await count_rows(sessionmaker, LandingPage, store.id) == 1


async def test_create_reports_every_problem_at_once(gql, shop):
    _store, key, _product, _page = shop

    payload = await gql.query(CREATE, {"input": {"title": "", "slug": "NO"}}, headers=key.headers)

    assert user_errors(payload, "createLandingPage") == [("title", "blank"), ("slug", "invalid")]


async def test_create_with_a_slug_taken_in_the_store_is_a_conflict(gql, sessionmaker, shop):
    store, key, _product, page = shop

    payload = await gql.query(CREATE, {"input": {"title": "Other", "slug": page.slug}}, headers=key.headers)

    assert user_errors(payload, "createLandingPage") == [("slug", "conflict")]
    assert await count_rows(sessionmaker, LandingPage, store.id) == 1


async def test_the_same_slug_is_free_in_another_store(session, gql, shop):
    _store, _key, _product, page = shop
    other = await create_store(session)
    other_key = await create_key(session, other)
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"title": "Other", "slug": page.slug}}, headers=other_key.headers)

    assert succeeded(payload, "createLandingPage")["landingPage"]["slug"] == page.slug


async def test_create_with_another_stores_product_is_not_found(session, gql, sessionmaker, shop):
    store, key, _product, _page = shop
    other = await create_store(session)
    foreign = await create_product(session, other)
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"title": "Mine", "productId": str(foreign.id)}}, headers=key.headers)

    assert user_errors(payload, "createLandingPage") == [("productId", "not_found")]
    assert await count_rows(sessionmaker, LandingPage, store.id) == 1


async def test_create_without_landing_pages_write_is_refused(session, gql, sessionmaker, shop):
    store, _key, _product, _page = shop
    key = await create_key(session, store, scopes=tuple(s for s in ALL_SCOPES if s is not Scope.LANDING_PAGES_WRITE))
    await session.commit()

    payload = await gql.query(CREATE, {"input": {"title": "Refused"}}, headers=key.headers)

    assert_insufficient_scope(payload, "createLandingPage", "landing_pages:write")
    assert await count_rows(sessionmaker, LandingPage, store.id) == 1


# --- updateLandingPage ------------------------------------------------------------------------------------------


async def test_update_changes_only_the_given_fields(gql, sessionmaker, shop):
    _store, key, product, page = shop
    before = await snapshot(sessionmaker, LandingPage, page.id)

    payload = await gql.query(UPDATE, {"input": {"id": str(page.id), "title": "Renamed"}}, headers=key.headers)

    updated = succeeded(payload, "updateLandingPage")["landingPage"]
    assert updated["title"] == "Renamed"
    assert updated["slug"] == page.slug  # a slug does not follow the title: links keep working
    after = await snapshot(sessionmaker, LandingPage, page.id)
    assert after["title"] == "Renamed"
    assert {k: v for k, v in after.items() if k not in ("title", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("title", "updated_at")
    }
    assert after["product_id"] == product.id


async def test_update_sets_slug_status_and_clears_product_and_content(gql, sessionmaker, shop):
    _store, key, _product, page = shop

    payload = await gql.query(
        UPDATE,
        {"input": {"id": str(page.id), "slug": "new-slug", "status": "DRAFT", "productId": None, "content": None}},
        headers=key.headers,
    )

    updated = succeeded(payload, "updateLandingPage")["landingPage"]
    assert (updated["slug"], updated["status"], updated["productId"], updated["content"]) == (
        "new-slug",
        "DRAFT",
        None,
        None,
    )
    row = await snapshot(sessionmaker, LandingPage, page.id)
    assert (row["slug"], row["status"], row["product_id"], row["content"]) == ("new-slug", "draft", None, None)


async def test_update_keeping_its_own_slug_is_no_conflict(gql, shop):
    _store, key, _product, page = shop

    payload = await gql.query(UPDATE, {"input": {"id": str(page.id), "slug": page.slug}}, headers=key.headers)

    assert succeeded(payload, "updateLandingPage")["landingPage"]["slug"] == page.slug


async def test_update_accepts_a_title_of_100_characters(gql, sessionmaker, shop):
    _store, key, _product, page = shop

    payload = await gql.query(UPDATE, {"input": {"id": str(page.id), "title": "t" * 100}}, headers=key.headers)

    assert succeeded(payload, "updateLandingPage")["landingPage"]["title"] == "t" * 100
    assert (await snapshot(sessionmaker, LandingPage, page.id))["title"] == "t" * 100


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"title": None}, "title", "blank"),
        ({"title": "x" * 101}, "title", "too_long"),
        ({"slug": None}, "slug", "blank"),
        ({"slug": "a_b"}, "slug", "invalid"),
        ({"status": None}, "status", "blank"),
        ({"productId": "0"}, "productId", "invalid"),
    ],
)
async def test_update_refuses_invalid_input(gql, sessionmaker, shop, changes, field, code):
    _store, key, _product, page = shop
    before = await snapshot(sessionmaker, LandingPage, page.id)

    payload = await gql.query(UPDATE, {"input": {"id": str(page.id), **changes}}, headers=key.headers)

    assert user_errors(payload, "updateLandingPage") == [(field, code)]
    assert await snapshot(sessionmaker, LandingPage, page.id) == before


async def test_update_to_a_slug_taken_by_another_page_is_a_conflict(session, gql, sessionmaker, shop):
    store, key, _product, page = shop
    other = await create_landing_page(session, store)
    await session.commit()
    before = await snapshot(sessionmaker, LandingPage, page.id)

    payload = await gql.query(UPDATE, {"input": {"id": str(page.id), "slug": other.slug}}, headers=key.headers)

    assert user_errors(payload, "updateLandingPage") == [("slug", "conflict")]
    assert await snapshot(sessionmaker, LandingPage, page.id) == before


async def test_update_to_another_stores_product_is_not_found(session, gql, sessionmaker, shop):
    _store, key, _product, page = shop
    foreign = await create_product(session, await create_store(session))
    await session.commit()
    before = await snapshot(sessionmaker, LandingPage, page.id)

    payload = await gql.query(
        UPDATE, {"input": {"id": str(page.id), "productId": str(foreign.id)}}, headers=key.headers
    )

    assert user_errors(payload, "updateLandingPage") == [("productId", "not_found")]
    assert await snapshot(sessionmaker, LandingPage, page.id) == before


async def test_update_of_another_stores_page_is_not_found(session, gql, sessionmaker, shop):
    _store, _key, _product, page = shop
    other = await create_store(session)
    other_key = await create_key(session, other)
    await session.commit()
    before = await snapshot(sessionmaker, LandingPage, page.id)

    payload = await gql.query(UPDATE, {"input": {"id": str(page.id), "title": "Hijacked"}}, headers=other_key.headers)

    assert user_errors(payload, "updateLandingPage") == [("id", "not_found")]
    assert payload["data"]["updateLandingPage"]["landingPage"] is None
    assert await snapshot(sessionmaker, LandingPage, page.id) == before


async def test_update_without_landing_pages_write_is_refused(session, gql, sessionmaker, shop):
    store, _key, _product, page = shop
    key = await create_key(session, store, scopes=(Scope.LANDING_PAGES_READ,))
    await session.commit()
    before = await snapshot(sessionmaker, LandingPage, page.id)

    payload = await gql.query(UPDATE, {"input": {"id": str(page.id), "title": "Refused"}}, headers=key.headers)

    assert_insufficient_scope(payload, "updateLandingPage", "landing_pages:write")
    assert await snapshot(sessionmaker, LandingPage, page.id) == before

"""updateStore: the name, and settings/metadata merged key by key (null deletes a key), each at most 16 KB."""

from __future__ import annotations

import pytest

from db.models import Store
from storegraph.platform.auth.scopes import ALL_SCOPES, Scope
from tests.support.factories import create_key, create_store
from tests.support.mutation_helpers import assert_insufficient_scope, snapshot, succeeded, user_errors

UPDATE = """
mutation($input: UpdateStoreInput!) {
  updateStore(input: $input) { store { name settings metadata } userErrors { field code message } }
}
"""
ERRORS_ONLY = """
mutation($input: UpdateStoreInput!) { updateStore(input: $input) { userErrors { field code } } }
"""


@pytest.fixture
async def shop(session):
    store = await create_store(session, name="Boutique Alger")
    store.settings = {"delivery_fees": {"home": 400, "desk": 300}, "locale": "fr"}
    store.metadata_ = {"crm_id": "C-1", "tier": "gold"}
    key = await create_key(session, store)
    await session.commit()
    return store, key


async def test_update_renames_and_merges_settings_and_metadata(gql, sessionmaker, shop):
    store, key = shop

    payload = await gql.query(
        UPDATE,
        {
            "input": {
                "name": "  Boutique Oran ",
                "settings": {"locale": "ar", "currency_display": "DA"},
                "metadata": {"tier": None, "source": {"campaign": "spring"}},
            }
        },
        headers=key.headers,
    )

    expected_settings = {"delivery_fees": {"home": 400, "desk": 300}, "locale": "ar", "currency_display": "DA"}
    expected_metadata = {"crm_id": "C-1", "source": {"campaign": "spring"}}
    assert succeeded(payload, "updateStore")["store"] == {
        "name": "Boutique Oran",
        "settings": expected_settings,
        "metadata": expected_metadata,
    }
    row = await snapshot(sessionmaker, Store, store.id)
    assert (row["name"], row["settings"], row["metadata_"]) == ("Boutique Oran", expected_settings, expected_metadata)


async def test_update_leaves_out_fields_unchanged(gql, sessionmaker, shop):
    store, key = shop
    before = await snapshot(sessionmaker, Store, store.id)

    payload = await gql.query(UPDATE, {"input": {"metadata": {"new": 1}}}, headers=key.headers)

    succeeded(payload, "updateStore")
    after = await snapshot(sessionmaker, Store, store.id)
    assert after["metadata_"] == {**before["metadata_"], "new": 1}
    assert (after["name"], after["settings"]) == (before["name"], before["settings"])


async def test_deleting_a_key_that_is_not_there_is_fine(gql, shop):
    _store, key = shop

    payload = await gql.query(UPDATE, {"input": {"metadata": {"absent": None}}}, headers=key.headers)

    assert succeeded(payload, "updateStore")["store"]["metadata"] == {"crm_id": "C-1", "tier": "gold"}


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": ""}, "name", "blank"),
        ({"name": None}, "name", "blank"),
        ({"name": "x" * 101}, "name", "too_long"),
        ({"settings": "dark"}, "settings", "invalid"),
        ({"settings": [1, 2]}, "settings", "invalid"),
        ({"metadata": 42}, "metadata", "invalid"),
        ({"metadata": None}, "metadata", "blank"),
        ({"settings": {"big": "x" * 16_400}}, "settings", "too_large"),
    ],
)
async def test_update_refuses_invalid_input(gql, sessionmaker, shop, changes, field, code):
    store, key = shop
    before = await snapshot(sessionmaker, Store, store.id)

    payload = await gql.query(UPDATE, {"input": {"name": "Would change", **changes}}, headers=key.headers)

    assert user_errors(payload, "updateStore") == [(field, code)]
    assert payload["data"]["updateStore"]["store"] is None
    assert await snapshot(sessionmaker, Store, store.id) == before


async def test_the_limit_applies_to_the_merged_object(gql, sessionmaker, shop):
    """Two small updates cannot grow metadata past 16 KB."""
    store, key = shop
    half = "x" * 9_000
    succeeded(await gql.query(UPDATE, {"input": {"metadata": {"a": half}}}, headers=key.headers), "updateStore")
    before = await snapshot(sessionmaker, Store, store.id)

    payload = await gql.query(UPDATE, {"input": {"metadata": {"b": half}}}, headers=key.headers)

    assert user_errors(payload, "updateStore") == [("metadata", "too_large")]
    assert await snapshot(sessionmaker, Store, store.id) == before


async def test_update_changes_only_the_callers_store(session, gql, sessionmaker, shop):
    store, _key = shop
    other = await create_store(session, name="Other")
    other_key = await create_key(session, other)
    await session.commit()
    before = await snapshot(sessionmaker, Store, store.id)

    succeeded(await gql.query(UPDATE, {"input": {"name": "Renamed"}}, headers=other_key.headers), "updateStore")

    assert (await snapshot(sessionmaker, Store, other.id))["name"] == "Renamed"
    assert await snapshot(sessionmaker, Store, store.id) == before


async def test_update_without_store_write_is_refused(session, gql, sessionmaker, shop):
    store, _key = shop
    key = await create_key(session, store, scopes=tuple(s for s in ALL_SCOPES if s is not Scope.STORE_WRITE))
    await session.commit()
    before = await snapshot(sessionmaker, Store, store.id)

    payload = await gql.query(UPDATE, {"input": {"name": "Refused"}}, headers=key.headers)

    assert_insufficient_scope(payload, "updateStore", "store:write")
    assert await snapshot(sessionmaker, Store, store.id) == before


async def test_store_write_alone_updates_when_only_user_errors_are_selected(session, gql, sessionmaker, shop):
    store, _key = shop
    key = await create_key(session, store, scopes=(Scope.STORE_WRITE,))
    await session.commit()

    payload = await gql.query(ERRORS_ONLY, {"input": {"name": "Write only"}}, headers=key.headers)

    assert (payload["_status"], payload.get("errors")) == (200, None)
    assert payload["data"] == {"updateStore": {"userErrors": []}}
    assert (await snapshot(sessionmaker, Store, store.id))["name"] == "Write only"

from __future__ import annotations

from tests.support.factories import create_key, create_store


async def test_viewer_answers_for_a_valid_key(session, gql):
    store = await create_store(session, name="Boutique Oran")
    key = await create_key(session, store)
    await session.commit()

    payload = await gql.query("{ viewer { storeName keyId } }", headers=key.headers)

    assert payload["data"]["viewer"] == {"storeName": "Boutique Oran", "keyId": key.key_id}

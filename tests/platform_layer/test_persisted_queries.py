"""Automatic persisted queries on ``/graphql`` (docs/graphql.md#persisted-queries): a document named by its SHA-256
runs once the server keeps it, an unknown hash asks the client for the text the way Apollo's clients expect, and the
documents are shared by every process through Redis."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import orjson
import pytest

from storegraph.platform.http.persisted_queries import PersistedQueries, Registration, sha256_of
from tests.support.factories import Key, create_key, create_store
from tests.support.redis_apps import client_of, redis_app


@pytest.fixture
async def key(session) -> Key:
    key = await create_key(session, await create_store(session))
    await session.commit()
    return key


def fresh_document() -> str:
    """A document no earlier test registered (the app, and so its store of documents, lives for the session)."""
    return f"query Viewer{uuid4().hex} {{ viewer {{ keyId storeId }} }}"


def extension(sha256: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


async def post(client: httpx.AsyncClient, key: Key, body: dict[str, Any]) -> httpx.Response:
    return await client.post(
        "/graphql", content=orjson.dumps(body), headers={**key.headers, "Content-Type": "application/json"}
    )


def answer(response: httpx.Response) -> dict[str, Any]:
    """The response, less the key's cost bucket, which every request draws on."""
    payload: dict[str, Any] = response.json()
    payload["extensions"]["cost"].pop("throttleStatus")
    return payload


async def register(client: httpx.AsyncClient, key: Key, document: str) -> httpx.Response:
    response = await post(client, key, {"query": document, "extensions": extension(sha256_of(document))})
    assert response.status_code == 200, response.text
    return response


async def test_a_known_hash_alone_answers_what_the_text_answers(client, key):
    document = fresh_document()
    by_text = await register(client, key, document)

    by_hash = await post(client, key, {"extensions": extension(sha256_of(document))})

    assert by_hash.status_code == 200
    assert answer(by_hash) == answer(by_text)


async def test_an_unknown_hash_answers_persisted_query_not_found_with_200(client, key):
    response = await post(client, key, {"extensions": extension(sha256_of(fresh_document()))})

    assert response.status_code == 200
    assert response.json()["errors"] == [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
    assert "data" not in response.json()


async def test_a_text_that_does_not_hash_to_its_hash_is_refused_and_not_kept(client, key):
    document, other = fresh_document(), fresh_document()

    refused = await post(client, key, {"query": document, "extensions": extension(sha256_of(other))})
    later = await post(client, key, {"extensions": extension(sha256_of(other))})

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == "provided sha does not match query"
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert later.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_unsupported_version_is_a_validation_error(client, key):
    document = fresh_document()

    response = await post(client, key, {"query": document, "extensions": extension(sha256_of(document), version=2)})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "validation_error"
    assert "version" in response.json()["errors"][0]["message"]


async def test_a_document_that_does_not_validate_is_not_kept(client, key):
    document = f"query Broken{uuid4().hex} {{ viewer {{ noSuchField }} }}"
    await post(client, key, {"query": document, "extensions": extension(sha256_of(document))})

    response = await post(client, key, {"extensions": extension(sha256_of(document))})

    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_get_by_hash_runs_the_kept_query(client, key):
    document = fresh_document()
    by_text = await register(client, key, document)

    params = {"extensions": orjson.dumps(extension(sha256_of(document))).decode()}
    response = await client.get("/graphql", params=params, headers=key.headers)

    assert response.status_code == 200
    assert answer(response) == answer(by_text)


async def test_a_get_by_an_unknown_hash_asks_for_the_text(client, key):
    params = {"extensions": orjson.dumps(extension(sha256_of(fresh_document()))).decode()}

    response = await client.get("/graphql", params=params, headers=key.headers)

    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "PersistedQueryNotFound"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_document_one_process_kept_runs_by_hash_in_another(database_url, key):
    prefix = f"test:{uuid4().hex}:"
    document = fresh_document()
    async with (
        redis_app(database_url, prefix=prefix) as first,
        redis_app(database_url, prefix=prefix) as second,
        client_of(first) as one,
        client_of(second) as other,
    ):
        by_text = await register(one, key, document)

        by_hash = await post(other, key, {"extensions": extension(sha256_of(document))})

    assert answer(by_hash) == answer(by_text)


async def test_the_store_of_one_process_forgets_the_least_recently_used_document_first():
    documents = [f"{{ viewer {{ keyId }} }} # {index:04d}" + " " * 900 for index in range(3)]
    store = PersistedQueries(max_bytes=2 * (len(documents[0]) + 256), max_length=65_536)
    for document in documents:
        await store.register(Registration(sha256_of(document), document))

    assert sha256_of(documents[0]) not in store
    assert sha256_of(documents[1]) in store
    assert sha256_of(documents[2]) in store


async def test_a_document_over_the_length_limit_is_not_kept():
    document = "{ viewer { keyId } }" + " " * 2000
    store = PersistedQueries(max_bytes=65_536, max_length=1024)

    registration = await store.resolve({"query": document, "extensions": extension(sha256_of(document))})

    assert registration is None


class FailingRedis:
    async def set(self, *_args: Any, **_kwargs: Any) -> None:
        raise ConnectionError("Redis is down")


async def test_a_document_kept_while_redis_fails_is_still_kept_in_the_process():
    document = "{ viewer { keyId } }"
    store = PersistedQueries(max_bytes=65_536, max_length=65_536, redis=FailingRedis())  # type: ignore[arg-type]

    await store.register(Registration(sha256_of(document), document))

    assert await store.get(sha256_of(document)) == document

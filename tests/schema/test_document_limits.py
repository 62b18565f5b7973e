"""Document limits (docs/cost.md#document-limits): a hostile document is refused with ``query_too_large`` while
it is parsed, or after parsing and before validation, never after seconds on the event loop; every legitimate
document of the repository stays far under the limits; the document caches are bounded by bytes of text."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, get_introspection_query, parse

from rest_compat.handler import compile_table
from schema.core import documents
from schema.core.build import build_schema
from schema.core.document_shape import measure
from schema.core.documents import MAX_FIELDS, MAX_REPEATED_FIELDS, DocumentCache, DocumentLimits, parse_within
from schema.core.text_cache import ENTRY_OVERHEAD, TextCache
from storegraph.app import create_app
from tests.conftest import app_settings, services_of
from tests.support.factories import Key, create_key, create_store
from tests.support.paths import REPO

LIMITS = DocumentLimits.defaults()
# GraphiQL asks for everything the introspection query can ask for.
INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)
# Generous: the refusal takes tens of milliseconds; the bound only catches a parser that reads the whole document.
PROMPT_SECONDS = 1.0


def aliased_document(size: int) -> str:
    """The hostile document: aliased ``viewer`` and ``__typename`` selections (cost 0, any key may send it)."""
    parts: list[str] = []
    length = 2
    number = 0
    while length < size:
        part = f"a{number}: __typename " if number % 2 else f"v{number}: viewer {{ __typename }} "
        parts.append(part)
        length += len(part)
        number += 1
    return "{ " + "".join(parts) + "}"


def refusal(payload: dict[str, Any]) -> dict[str, Any]:
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "query_too_large", error
    assert "data" not in payload
    return error


def refused_by_parser(query: str, limits: DocumentLimits = LIMITS) -> GraphQLError:
    with pytest.raises(GraphQLError) as raised:
        parse_within(query, limits)
    return raised.value


def refused_before_validation(query: str, limits: DocumentLimits = LIMITS) -> dict[str, Any]:
    error = DocumentCache(limits).refusal(parse(query))
    assert error is not None
    assert error.extensions is not None
    return error.extensions


def tokens(count: int) -> str:
    """A document of exactly ``count`` tokens: ``{``, then ``a`` repeated, then ``}``."""
    return "{ " + "a " * (count - 2) + "}"


@pytest.fixture
async def key(session) -> Key:
    key = await create_key(session, await create_store(session))
    await session.commit()
    return key


# ---------------------------------------------------------------------------------------------- the 640 KB document


async def test_a_640_kb_aliased_document_is_refused_promptly_as_query_too_large(client, key):
    document = aliased_document(640_000)

    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": document}, headers=key.headers)
    elapsed = time.perf_counter() - started

    assert response.status_code == 400
    assert refusal(response.json())["extensions"] == {
        "code": "query_too_large",
        "length": len(document),
        "max_length": LIMITS.max_length,
    }
    assert elapsed < PROMPT_SECONDS


async def test_a_hostile_document_within_the_length_limit_is_refused_promptly_at_its_token_limit(client, key):
    document = aliased_document(LIMITS.max_length - 100)

    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": document}, headers=key.headers)
    elapsed = time.perf_counter() - started

    error = refusal(response.json())
    assert response.status_code == 400
    assert error["extensions"] == {"code": "query_too_large", "max_tokens": LIMITS.max_tokens}
    # The parser stopped where the limit was crossed, a sixth of the way in, and never read the rest.
    assert error["locations"][0]["column"] < len(document) / 5
    assert elapsed < PROMPT_SECONDS


async def test_a_document_refused_for_its_size_is_never_validated(client, key, monkeypatch):
    validated: list[object] = []

    def recording(*args: object) -> list[GraphQLError]:
        validated.append(args)
        return []

    monkeypatch.setattr(documents, "validate_document", recording)

    for size in (640_000, LIMITS.max_length - 100):
        response = await client.post("/graphql", json={"query": aliased_document(size)}, headers=key.headers)
        refusal(response.json())

    assert validated == []


async def test_healthz_answers_while_hostile_documents_are_refused(client, key):
    hostile = [
        client.post("/graphql", json={"query": aliased_document(LIMITS.max_length - 100)}, headers=key.headers)
        for _ in range(5)
    ]

    started = time.perf_counter()
    *refused, health = await asyncio.gather(*hostile, client.get("/healthz"))
    elapsed = time.perf_counter() - started

    assert health.status_code == 200
    assert all(response.status_code == 400 for response in refused)
    assert elapsed < 5 * PROMPT_SECONDS


# -------------------------------------------------------------------------------------------- length and tokens


def test_a_document_at_the_token_limit_parses():
    assert parse_within(tokens(LIMITS.max_tokens), LIMITS) is not None


def test_one_token_over_the_limit_is_query_too_large():
    error = refused_by_parser(tokens(LIMITS.max_tokens + 1))

    assert error.extensions == {"code": "query_too_large", "max_tokens": LIMITS.max_tokens}


def test_comments_count_toward_the_token_limit():
    document = "#\n" * LIMITS.max_tokens + "{ a }"

    error = refused_by_parser(document)

    assert error.extensions == {"code": "query_too_large", "max_tokens": LIMITS.max_tokens}


def test_a_document_over_the_length_limit_is_refused_before_it_is_parsed():
    document = '{ a(s: "' + "x" * LIMITS.max_length + '") }'  # one long token: the token limit alone lets it in

    error = refused_by_parser(document)

    assert error.extensions == {"code": "query_too_large", "length": len(document), "max_length": LIMITS.max_length}
    assert error.locations is None


def test_a_syntax_error_within_the_limits_stays_a_syntax_error():
    error = refused_by_parser("{ viewer { keyId }")

    assert error.extensions == {}
    assert "Syntax Error" in error.message


# ------------------------------------------------------------------------------------ aliases and repeated fields


def test_aliases_up_to_the_limit_are_accepted():
    document = "{ " + " ".join(f"a{number}: __typename" for number in range(LIMITS.max_aliases)) + " }"

    assert DocumentCache(LIMITS).refusal(parse(document)) is None


def test_one_alias_over_the_limit_is_query_too_large():
    count = LIMITS.max_aliases + 1
    document = "{ " + " ".join(f"a{number}: __typename" for number in range(count)) + " }"

    assert refused_before_validation(document) == {
        "code": "query_too_large",
        "aliases": count,
        "max_aliases": LIMITS.max_aliases,
    }


def test_a_fragments_aliases_count_at_each_place_it_is_spread():
    fragment = "fragment F on Viewer { " + " ".join(f"a{number}: keyId" for number in range(10)) + " }"
    document = "{ " + " ".join(f"v{number}: viewer {{ ...F }}" for number in range(5)) + " } " + fragment

    assert measure(parse(document), max_fields=MAX_FIELDS).aliases == 5 + 5 * 10 + 10


def test_fields_repeated_under_one_response_key_count_in_pairs_at_each_place():
    document = "{ viewer { keyId keyId } viewer { keyId } }"

    # two viewer selections at the root (1 pair), three keyId selections under the merged viewer (3 pairs)
    assert measure(parse(document), max_fields=MAX_FIELDS).repeated == 1 + 3


def test_copies_of_a_selection_past_the_limit_are_query_too_large():
    document = "{ " + "viewer { keyId } " * 250 + "}"  # a thousand tokens, a second of validation

    extensions = refused_before_validation(document)

    assert extensions["code"] == "query_too_large"
    assert extensions["repeated_fields"] > MAX_REPEATED_FIELDS


def test_fragments_multiplying_fields_past_the_limit_are_query_too_large():
    # Each fragment selects the next twice: 2^30 fields from thirty short lines.
    fragments = " ".join(f"fragment F{n} on Query {{ a {{ ...F{n + 1} }} b {{ ...F{n + 1} }} }}" for n in range(30))
    document = "{ ...F0 } " + fragments + " fragment F30 on Query { c }"

    assert refused_before_validation(document) == {"code": "query_too_large", "max_fields": MAX_FIELDS}


def test_a_fragment_spread_inside_itself_is_left_to_validation():
    document = "{ ...F } fragment F on Query { viewer { ...G } } fragment G on Viewer { ...F }"

    assert DocumentCache(LIMITS).refusal(parse(document)) is None


async def test_a_refusal_before_validation_is_answered_with_the_limit(client, key):
    document = "{ " + " ".join(f"a{number}: __typename" for number in range(LIMITS.max_aliases + 1)) + " }"

    response = await client.post("/graphql", json={"query": document}, headers=key.headers)

    assert response.status_code == 400
    assert refusal(response.json())["extensions"]["max_aliases"] == LIMITS.max_aliases


async def test_the_limits_come_from_the_settings(database_url, key):
    application = create_app(app_settings(database_url, max_query_tokens=100, max_query_aliases=0))
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
            tokens_over = await http.post("/graphql", json={"query": tokens(101)}, headers=key.headers)
            aliased = await http.post("/graphql", json={"query": "{ a: __typename }"}, headers=key.headers)
    finally:
        await services_of(application).engine.dispose()
    assert refusal(tokens_over.json())["extensions"]["max_tokens"] == 100
    assert refusal(aliased.json())["extensions"]["max_aliases"] == 0


# ---------------------------------------------------------------------------------- legitimate documents fit


def legitimate_documents() -> list[tuple[str, str]]:
    """GraphiQL's introspection query, the ``/v1`` table's operations, and the guides' examples."""
    found = [("introspection", INTROSPECTION)]
    found += [(compiled.endpoint.label, compiled.document) for compiled in compile_table(build_schema()._schema)]
    for guide in ("README.md", "docs/graphql.md", "docs/cost.md"):
        text = (REPO / guide).read_text(encoding="utf-8")
        found += [(guide, block) for block in re.findall(r"```graphql\n(.*?)```", text, re.S)]
    return found


def token_count(document: str) -> int:
    """The tokens the parser counts: the least limit at which it parses."""
    low, high = 1, LIMITS.max_tokens
    while low < high:
        middle = (low + high) // 2
        try:
            parse(document, max_tokens=middle)
        except GraphQLError:
            low = middle + 1
        else:
            high = middle
    return low


@pytest.mark.parametrize(("name", "document"), legitimate_documents())
def test_every_legitimate_document_stays_under_a_quarter_of_each_limit(name, document):
    shape = measure(parse(document), max_fields=MAX_FIELDS)

    assert len(document) <= LIMITS.max_length / 4, name
    assert token_count(document) <= LIMITS.max_tokens / 4, name
    assert shape.aliases <= LIMITS.max_aliases / 4, name
    assert shape.repeated <= MAX_REPEATED_FIELDS / 4, name
    assert shape.fields <= MAX_FIELDS / 4, name


# ------------------------------------------------------------------------------------------------------ caches


def test_a_document_sent_again_is_parsed_once():
    cache = DocumentCache(LIMITS)

    assert cache.parse("{ viewer { keyId } }") is cache.parse("{ viewer { keyId } }")


def test_the_parsed_documents_are_bounded_by_the_bytes_of_their_text():
    cache = DocumentCache(DocumentLimits(max_length=65_536, max_tokens=2000, max_aliases=50, cache_bytes=65_536))
    padding = "#" + "x" * 9_000 + "\n"  # a long comment is one token

    for number in range(20):
        cache.parse(f"{padding}{{ a{number}: __typename }}")

    assert cache.parsed.bytes_held <= cache.parsed.max_bytes
    assert len(cache.parsed) == 65_536 // (len(padding) + 20 + ENTRY_OVERHEAD)


def test_the_least_recently_used_text_goes_first():
    cache: TextCache[str, int] = TextCache(2 * (ENTRY_OVERHEAD + 1))
    cache.put("a", "a", 1)
    cache.put("b", "b", 2)
    cache.get("a")

    cache.put("c", "c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_a_text_larger_than_the_whole_budget_is_not_kept():
    cache: TextCache[str, int] = TextCache(ENTRY_OVERHEAD + 10)

    cache.put("long", "x" * 11, 1)

    assert cache.get("long") is None
    assert cache.bytes_held == 0


def test_a_refusal_for_its_shape_is_cached_with_the_validation_results():
    cache = DocumentCache(LIMITS)
    document = "{ " + "viewer { keyId } " * 250 + "}"
    parsed = cache.parse(document)

    first = cache.validate(build_schema()._schema, parsed, document, ())
    again = cache.validate(build_schema()._schema, parsed, document, ())

    assert first == again
    assert len(cache.validated) == 1

"""Media types read from the raw headers and kept by their value: the same answers as reading the headers through
Starlette and working each answer out, for every request, and no more values kept than ``MEMO_ENTRIES``."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import Headers

from storegraph.platform.http import media
from storegraph.platform.http.media import JSON, MEMO_ENTRIES, is_json_body, preferred_media_type

GRAPHQL_RESPONSE = "application/graphql-response+json"
OFFERED = (GRAPHQL_RESPONSE, JSON)
ACCEPTS = [
    [],
    [b""],
    [b"*/*"],
    [b"application/json"],
    [b"application/graphql-response+json, application/json;q=0.9"],
    [b"application/json;q=0", b"*/*;q=0.5"],
    [b"text/html", b"application/*;q=0.2"],
    [b"image/png"],
    [b"application/JSON; q=0.8, application/graphql-response+json; q=0.7"],
    [b"Application/Graphql-Response+Json;q=bad"],
]
CONTENT_TYPES = [
    [],
    [b"application/json"],
    [b"application/json; charset=utf-8"],
    [b'Application/JSON; Charset="UTF8"'],
    [b"application/json; charset=latin-1"],
    [b"text/plain"],
    [b"application/json", b"text/plain"],
    [b"text/plain", b"application/json"],
    ["application/json; charset=utf-8\xa0".encode("latin-1")],
]


def scope_with(name: bytes, values: list[bytes]) -> dict[str, Any]:
    return {"type": "http", "headers": [(b"x-other", b"1"), *((name, value) for value in values)]}


def by_starlette_accept(scope: dict[str, Any], offered: tuple[str, ...], default: str) -> str:
    return media._preferred(", ".join(Headers(scope=scope).getlist("accept")), offered, default)


def by_starlette_json(scope: dict[str, Any]) -> bool:
    value = Headers(scope=scope).get("content-type")
    return value is not None and media._declares_json(value)


@pytest.fixture(autouse=True)
def empty_memos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "_preferred_memo", {})
    monkeypatch.setattr(media, "_json_memo", {})


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("offered", [OFFERED, (JSON, "text/html")])
def test_the_preferred_type_is_the_one_worked_out_from_starlettes_headers_each_time(accept, offered):
    scope = scope_with(b"accept", accept)
    expected = by_starlette_accept(scope_with(b"accept", accept), offered, JSON)

    assert preferred_media_type(scope, offered, JSON) == expected
    assert preferred_media_type(scope, offered, JSON) == expected  # kept


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_a_json_body_is_told_as_starlettes_headers_tell_it_each_time(content_type):
    scope = scope_with(b"content-type", content_type)
    expected = by_starlette_json(scope_with(b"content-type", content_type))

    assert is_json_body(scope) is expected
    assert is_json_body(scope) is expected  # kept


def test_a_kept_answer_is_worked_out_once(monkeypatch):
    worked_out: list[str] = []
    real = media._declares_json

    def counted(value: str) -> bool:
        worked_out.append(value)
        return real(value)

    monkeypatch.setattr(media, "_declares_json", counted)

    for _ in range(5):
        assert is_json_body(scope_with(b"content-type", [b"application/json"]))

    assert worked_out == ["application/json"]


def test_no_more_values_are_kept_than_the_bound_and_the_others_are_still_answered():
    for number in range(MEMO_ENTRIES + 10):
        accept = f"application/x-{number}, application/json".encode()
        assert preferred_media_type(scope_with(b"accept", [accept]), OFFERED, GRAPHQL_RESPONSE) == JSON
        assert not is_json_body(scope_with(b"content-type", [f"text/x-{number}".encode()]))

    assert len(media._preferred_memo) == MEMO_ENTRIES
    assert len(media._json_memo) == MEMO_ENTRIES

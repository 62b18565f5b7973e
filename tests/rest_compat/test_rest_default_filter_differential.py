"""``GET /v1/customers`` with its filter of only defaults left out (the shortcut) answers the bytes the filter
sent whole answers (the normal way): bodies, statuses and headers, ETags and 304s, refusals of bad limits and
cursors; and the shortcut does run: the filter is left out of the operation's variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from db.models import Store
from rest_compat import compile as compile_module
from schema.core.compiled.variables import PlainVariables
from tests.rest_compat.test_rest_default_filter import archived_shop
from tests.support.factories import Key

# Counters that move with every request, whichever way it is answered.
MOVING = {"x-ratelimit-remaining"}


@pytest.fixture
async def shop(session) -> tuple[Store, Key]:
    return await archived_shop(session)


def answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(name, value) for name, value in response.headers.items() if name not in MOVING]
    return response.status_code, headers, response.content


async def both_ways(
    client: httpx.AsyncClient, key: Key, monkeypatch: pytest.MonkeyPatch, path: str, etag: str | None = None
) -> tuple[Any, Any]:
    headers = {**key.headers, "X-Request-Id": "req_same"}
    if etag is not None:
        headers["If-None-Match"] = etag
    shortcut = await client.get(path, headers=headers)
    with monkeypatch.context() as patched:
        patched.setattr(compile_module, "_is_default", lambda *_args: False)  # the filter sent whole
        normal = await client.get(path, headers=headers)
    return answer(shortcut), answer(normal)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers",
        "/v1/customers?limit=2",
        "/v1/customers?limit=2&is_archived=false",
        "/v1/customers?is_archived=true",
        "/v1/customers?limit=0",
        "/v1/customers?limit=abc",
        "/v1/customers?limit=2&cursor=not-a-cursor",
    ],
)
async def test_the_shortcut_answers_the_bytes_of_the_normal_way(client, shop, monkeypatch, path: str) -> None:
    _store, key = shop
    shortcut, normal = await both_ways(client, key, monkeypatch, path)
    assert shortcut == normal


async def test_the_next_page_and_its_304_are_the_same_bytes_both_ways(client, shop, monkeypatch) -> None:
    _store, key = shop
    first = await client.get("/v1/customers?limit=2", headers=key.headers)
    assert first.status_code == 200, first.text
    cursor = first.json()["data"]["next_cursor"]
    assert cursor is not None
    path = f"/v1/customers?limit=2&cursor={cursor}"
    shortcut, normal = await both_ways(client, key, monkeypatch, path)
    assert shortcut == normal
    assert shortcut[0] == 200
    etag = dict(shortcut[1])["etag"]
    shortcut, normal = await both_ways(client, key, monkeypatch, path, etag)
    assert shortcut == normal
    assert shortcut[0] == 304


async def test_a_filter_of_defaults_is_left_out_of_the_operations_variables(client, shop, monkeypatch) -> None:
    _store, key = shop
    given: list[dict[str, Any]] = []
    coerce: Callable[..., Any] = PlainVariables.coerce

    def recorded(self: PlainVariables, values: dict[str, Any]) -> Any:
        given.append(dict(values))
        return coerce(self, values)

    monkeypatch.setattr(PlainVariables, "coerce", recorded)
    response = await client.get("/v1/customers?limit=2", headers=key.headers)
    assert response.status_code == 200, response.text
    assert "filter" not in given[-1]
    with monkeypatch.context() as patched:
        patched.setattr(compile_module, "_is_default", lambda *_args: False)
        response = await client.get("/v1/customers?limit=2", headers=key.headers)
    assert response.status_code == 200, response.text
    assert "filter" in given[-1]

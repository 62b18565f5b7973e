"""The shared middleware layers driven directly over ASGI, without the app around them: what each one reads from the
request's headers and what it adds to the response, at the edges of its rules."""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from storegraph.platform.auth.bearer import AuthMiddleware
from storegraph.platform.auth.key_cache import KeyCache
from storegraph.platform.auth.key_use import KeyUseRecorder
from storegraph.platform.auth.principal import Principal, principal_of
from storegraph.platform.errors import PayloadTooLarge
from storegraph.platform.http.body import read_limited_body
from storegraph.platform.http.header_limit import HeaderLimitMiddleware
from storegraph.platform.http.request_id import RequestIdMiddleware, RequestIds, request_id_of

Headers = list[tuple[bytes, bytes]]
TOKEN = "dzpk_live_0123456789abcdef.secret"
PRINCIPAL = Principal(
    key_pk=7,
    key_id="0123456789abcdef",
    key_type="platform",
    env="live",
    scopes=frozenset({"customers:read"}),
    store_id=1,
    store_name="Store",
    plan="free",
    phone_region="DZ",
)


def http_scope(headers: Headers, *, method: str = "POST", path: str = "/graphql") -> Scope:
    return {"type": "http", "method": method, "path": path, "query_string": b"", "headers": headers}


@dataclass
class Answer:
    """What an app below the layer sends, and what it saw of the request."""

    headers: Headers = field(default_factory=list)
    seen: list[Scope] = field(default_factory=list)

    async def __call__(self, scope: Scope, _receive: Receive, send: Send) -> None:
        self.seen.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"{}"})


async def run(app: Any, scope: Scope, body: bytes = b"") -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def response_headers(sent: list[Message], name: bytes) -> list[bytes]:
    return [value for header, value in sent[0]["headers"] if header == name]


# --- request ids ----------------------------------------------------------------------------------------------------


def test_a_new_request_id_is_req_and_24_lowercase_hex_digits() -> None:
    made = RequestIds(batch=64)
    ids = {made.new() for _ in range(1000)}  # across several reads of random bytes

    assert len(ids) == 1000
    assert all(re.fullmatch(r"req_[0-9a-f]{24}", request_id) for request_id in ids)


def test_a_forked_process_never_makes_the_ids_its_parent_read_bytes_for(monkeypatch: pytest.MonkeyPatch) -> None:
    made = RequestIds()
    made.new()
    forked = copy.copy(made)  # what a fork leaves the child: the same bytes, read by the parent
    parent = [made.new() for _ in range(3)]
    reads: list[int] = []
    urandom = os.urandom

    def read(size: int) -> bytes:
        reads.append(size)
        return urandom(size)

    monkeypatch.setattr(os, "urandom", read)
    monkeypatch.setattr(os, "getpid", lambda: -1)
    child = [forked.new() for _ in range(3)]

    assert reads == [12 * 256]
    assert not set(child) & set(parent)


async def test_the_first_of_two_inbound_request_ids_is_kept_and_echoed() -> None:
    answer = Answer()
    scope = http_scope([(b"x-request-id", b"first"), (b"x-request-id", b"second")])

    sent = await run(RequestIdMiddleware(answer), scope)

    assert response_headers(sent, b"x-request-id") == [b"first"]
    assert request_id_of(answer.seen[0]) == "first"


@pytest.mark.parametrize(("length", "kept"), [(128, True), (129, False)])
async def test_an_inbound_request_id_is_kept_up_to_128_characters(length: int, kept: bool) -> None:
    inbound = b"a" * length

    sent = await run(RequestIdMiddleware(Answer()), http_scope([(b"x-request-id", inbound)]))

    assert (response_headers(sent, b"x-request-id") == [inbound]) is kept


async def test_a_response_that_names_its_request_keeps_that_id_whatever_the_case_of_its_header() -> None:
    answer = Answer(headers=[(b"X-Request-Id", b"req_first")])

    sent = await run(RequestIdMiddleware(answer), http_scope([]))

    assert [(name, value) for name, value in sent[0]["headers"] if name.lower() == b"x-request-id"] == [
        (b"X-Request-Id", b"req_first")
    ]


async def test_the_echoed_id_leaves_the_apps_own_header_list_unchanged() -> None:
    shared: Headers = [(b"content-type", b"application/json")]
    answer = Answer(headers=shared)

    sent = await run(RequestIdMiddleware(answer), http_scope([]))

    assert shared == [(b"content-type", b"application/json")]
    assert response_headers(sent, b"x-request-id") == [str(request_id_of(answer.seen[0])).encode()]


# --- header limits --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("max_bytes", "status"), [(18, 200), (17, 431)])
async def test_header_bytes_count_name_value_colon_space_and_line_end(max_bytes: int, status: int) -> None:
    # "a: bb\r\n" and "ccc: dddd\r\n" on the wire: 7 + 11 = 18 bytes.
    app = HeaderLimitMiddleware(Answer(), max_count=10, max_bytes=max_bytes)

    sent = await run(app, http_scope([(b"a", b"bb"), (b"ccc", b"dddd")]))

    assert sent[0]["status"] == status


@pytest.mark.parametrize(("count", "status"), [(3, 200), (4, 431)])
async def test_as_many_headers_as_the_limit_pass_and_one_more_is_refused(count: int, status: int) -> None:
    app = HeaderLimitMiddleware(Answer(), max_count=3, max_bytes=1000)

    sent = await run(app, http_scope([(b"x", b"1")] * count))

    assert sent[0]["status"] == status


# --- bearer keys ----------------------------------------------------------------------------------------------------


@dataclass
class Directory:
    """A key directory that knows no key and counts the last-use writes."""

    uses: list[int] = field(default_factory=list)

    async def platform_key(self, _key_id: str) -> None:
        return None

    async def public_key(self, _key_id: str) -> None:
        return None

    async def record_use(self, key_pk: int, _when: datetime) -> None:
        self.uses.append(key_pk)


def authenticating(answer: Answer) -> AuthMiddleware:
    cache = KeyCache(60)
    cache.put(TOKEN, PRINCIPAL)
    return AuthMiddleware(answer, Directory(), cache)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_the_bearer_scheme_is_read_in_any_case(scheme: str) -> None:
    answer = Answer()

    await run(authenticating(answer), http_scope([(b"authorization", f"{scheme}  {TOKEN} ".encode())]))

    assert principal_of(answer.seen[0]) == PRINCIPAL


@pytest.mark.parametrize("value", [b"Bearer", b"Basic " + TOKEN.encode(), b""])
async def test_an_authorization_header_without_a_bearer_token_is_refused_401(value: bytes) -> None:
    answer = Answer()

    sent = await run(authenticating(answer), http_scope([(b"authorization", value)]))

    assert sent[0]["status"] == 401
    assert answer.seen == []


async def test_two_authorization_headers_are_refused_400_even_when_both_hold_the_key() -> None:
    header = (b"authorization", f"Bearer {TOKEN}".encode())
    answer = Answer()

    sent = await run(authenticating(answer), http_scope([header, (b"accept", b"*/*"), header]))

    assert sent[0]["status"] == 400
    assert answer.seen == []


@pytest.mark.parametrize("path", ["/v1/signups", "/v1/events"])
async def test_the_signed_endpoints_pass_authentication_without_a_bearer_key(path: str) -> None:
    answer = Answer()

    await run(authenticating(answer), http_scope([], path=path))

    assert len(answer.seen) == 1


async def test_an_unsigned_method_on_a_signed_path_needs_a_bearer_key() -> None:
    sent = await run(authenticating(Answer()), http_scope([], method="GET", path="/v1/signups"))

    assert sent[0]["status"] == 401


# --- last use of a key ----------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_keys_last_use_is_written_at_most_once_a_minute() -> None:
    directory, clock = Directory(), Clock()
    recorder = KeyUseRecorder(directory, clock=clock)

    await recorder.touch(7)
    clock.now += 59.9
    await recorder.touch(7)
    await recorder.touch(8)
    clock.now += 0.1
    await recorder.touch(7)

    assert directory.uses == [7, 8, 7]


# --- bodies ---------------------------------------------------------------------------------------------------------


async def test_a_declared_content_length_over_the_limit_is_refused_without_reading() -> None:
    read: list[bool] = []

    async def receive() -> Message:
        read.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    with pytest.raises(PayloadTooLarge):
        await read_limited_body(http_scope([(b"content-length", b"11")]), receive, 10, 5.0)
    assert read == []


@pytest.mark.parametrize("declared", [b"eleven", b" 10 "])
async def test_a_content_length_within_the_limit_or_not_a_number_leaves_the_body_to_be_read(declared: bytes) -> None:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"0123456789", "more_body": False}

    body = await read_limited_body(http_scope([(b"content-length", declared)]), receive, 10, 5.0)

    assert body == b"0123456789"

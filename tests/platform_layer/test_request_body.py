"""Reading a request body: the deadline's timer only for a body that has to be waited for, the same answers as
reading under the timer from the start, and a body a middleware already read handed on without a message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from starlette.datastructures import Headers
from starlette.types import Message, Receive

from storegraph.platform.errors import PayloadTooLarge, RequestTimeout
from storegraph.platform.http import body as body_module
from storegraph.platform.http.body import BufferedBody, read_body, read_limited_body, replay_body

SCOPE: dict[str, Any] = {"type": "http", "headers": []}
GUARD = 30


def at_hand(*messages: Message) -> Receive:
    """A server that has every message at hand: no receive waits."""
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return receive


def arriving(*messages: Message) -> Receive:
    """A server whose every message arrives a moment after it is asked for: each receive waits."""
    queue = list(messages)

    async def receive() -> Message:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return queue.pop(0)

    return receive


def chunk(data: bytes, *, more: bool = False) -> Message:
    return {"type": "http.request", "body": data, "more_body": more}


@pytest.fixture
def timers(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The deadlines of the timers ``read_limited_body`` armed."""
    armed: list[float] = []
    real = asyncio.timeout_at

    def counting(when: float | None) -> asyncio.Timeout:
        assert when is not None
        armed.append(when)
        return real(when)

    monkeypatch.setattr(asyncio, "timeout_at", counting)
    return armed


async def reference(receive: Receive, max_bytes: int, timeout_seconds: float) -> bytes | None:
    """The reading the timer-on-demand must answer as: every receive under the deadline from the start."""
    body = bytearray()
    async with asyncio.timeout(timeout_seconds):
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body.extend(message.get("body", b""))
            if len(body) > max_bytes:
                raise PayloadTooLarge(max_bytes)
            if not message.get("more_body", False):
                return bytes(body)


async def outcome(read: Callable[[], Any]) -> object:
    try:
        return await read()
    except PayloadTooLarge as error:
        return ("too large", error.http_status)


BODIES = [
    [chunk(b'{"query": "{ viewer { keyId } }"}')],
    [chunk(b""), chunk(b"abc", more=True), chunk(b"def")],
    [chunk(b"abc", more=True), {"type": "http.disconnect"}],
    [chunk(b"x" * 10, more=True), chunk(b"y")],
    [{"type": "http.disconnect"}],
]


async def test_a_body_at_hand_is_read_without_arming_a_timer(timers):
    body = await read_limited_body(SCOPE, at_hand(chunk(b"ab", more=True), chunk(b"cd")), 100, GUARD)

    assert body == b"abcd"
    assert timers == []


async def test_a_body_that_has_to_be_waited_for_arms_one_timer_at_the_deadline_from_the_start(timers):
    before = asyncio.get_running_loop().time()
    body = await read_limited_body(SCOPE, arriving(chunk(b"ab", more=True), chunk(b"cd")), 100, GUARD)
    after = asyncio.get_running_loop().time()

    assert body == b"abcd"
    assert len(timers) == 1
    assert before + GUARD <= timers[0] <= after + GUARD


@pytest.mark.parametrize("messages", BODIES)
@pytest.mark.parametrize("server", [at_hand, arriving])
async def test_reading_answers_as_reading_under_the_timer_from_the_start(messages, server):
    expected = await outcome(lambda: reference(server(*messages), 12, GUARD))

    assert await outcome(lambda: read_limited_body(SCOPE, server(*messages), 12, GUARD)) == expected


async def test_a_body_at_hand_then_stalling_is_refused_at_the_deadline():
    started = asyncio.Event()

    async def receive() -> Message:
        if not started.is_set():
            started.set()
            return chunk(b"ab", more=True)
        await asyncio.Event().wait()
        raise AssertionError("never sent")

    with pytest.raises(RequestTimeout):
        await read_limited_body(SCOPE, receive, 100, 0.05)


async def test_a_receive_that_waits_is_cancelled_inside_when_the_deadline_passes():
    cancelled = []

    async def receive() -> Message:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        raise AssertionError("never sent")

    with pytest.raises(RequestTimeout):
        await read_limited_body(SCOPE, receive, 100, 0.05)
    assert cancelled == [True]


async def test_a_receive_that_waits_gets_the_value_it_waited_for():
    future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def receive() -> Message:
        return chunk(await future)

    reading = asyncio.create_task(read_limited_body(SCOPE, receive, 100, GUARD))
    await asyncio.sleep(0)
    future.set_result(b"sent later")

    assert await reading == b"sent later"


async def test_a_declared_length_over_the_limit_is_refused_before_reading():
    scope = {"type": "http", "headers": [(b"content-length", b"101")]}

    with pytest.raises(PayloadTooLarge):
        await read_limited_body(scope, at_hand(), 100, GUARD)


async def test_a_replayed_body_is_read_without_a_message(monkeypatch):
    asked = []
    real_call = BufferedBody.__call__

    async def counted(self: BufferedBody) -> Message:
        asked.append(True)
        return await real_call(self)

    monkeypatch.setattr(BufferedBody, "__call__", counted)

    assert await read_body(replay_body(b"the body", at_hand())) == b"the body"
    assert asked == []


@pytest.mark.parametrize("data", [b"the body", b""])
async def test_a_replayed_body_read_whole_answers_as_reading_its_messages(data):
    by_messages = replay_body(data, at_hand())

    async def plain_receive() -> Message:
        return await by_messages()

    assert await read_body(replay_body(data, at_hand())) == await read_body(plain_receive)


async def test_after_the_replayed_body_the_server_is_asked_for_the_disconnect():
    replay = replay_body(b"the body", at_hand({"type": "http.disconnect"}, {"type": "http.disconnect"}))

    assert await read_body(replay) == b"the body"
    assert await replay() == {"type": "http.disconnect"}
    assert await read_body(replay) is None


async def test_a_replayed_body_is_delivered_once_as_a_message():
    replay = replay_body(b"the body", at_hand({"type": "http.disconnect"}))

    assert await replay() == chunk(b"the body")
    assert await replay() == {"type": "http.disconnect"}


def declared_by_starlette(scope: dict[str, Any]) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


@pytest.mark.parametrize(
    "values", [[b"5"], [b"5", b"999"], [b"a lot"], [], [b" 7 "], [b"1_0"], ["\xa012".encode("latin-1")], [b""]]
)
def test_a_declared_length_is_read_from_the_raw_headers_as_starlette_reads_it(values):
    scope = {"type": "http", "headers": [(b"x-other", b"1"), *((b"content-length", value) for value in values)]}

    assert body_module._content_length(scope) == declared_by_starlette(dict(scope))

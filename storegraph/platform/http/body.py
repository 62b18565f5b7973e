"""Reading a request body whole, and handing it on to the app after a middleware has read it."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from starlette.types import Message, Receive
from starlette.types import Scope as AsgiScope

from storegraph.platform.errors import PayloadTooLarge, RequestTimeout


class BufferedBody:
    """A receive that hands the app a body a middleware already read, then waits for the disconnect as the server
    would. ``read_body`` takes the body from it directly, without the message round trip: the layers after
    the body limit read the same bytes again (idempotency's check of a GraphQL query, the endpoint's parse)."""

    __slots__ = ("_receive", "body", "delivered")

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body = body
        self.delivered = False
        self._receive = receive

    async def __call__(self) -> Message:
        if self.delivered:
            return await self._receive()
        self.delivered = True
        return {"type": "http.request", "body": self.body, "more_body": False}


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the buffered body, then waits for the disconnect as the server would."""
    return BufferedBody(body, receive)


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body (the body-limit middleware, or the public-key one for the signed endpoints, bounds
    its size and time), or None when the client disconnected before sending all of it."""
    if isinstance(receive, BufferedBody) and not receive.delivered:
        receive.delivered = True
        return receive.body
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read_limited_body(scope: AsgiScope, receive: Receive, max_bytes: int, timeout_seconds: float) -> bytes | None:
    """The whole request body, or None when the client went away first. ``PayloadTooLarge`` for a body over
    ``max_bytes`` (a declared ``Content-Length`` is refused before reading), ``RequestTimeout`` for one that has not
    all arrived within ``timeout_seconds``: a client sending slowly cannot hold the connection and what it sent.
    Either way what was read is dropped with the exception.

    Most bodies arrive with their headers, so the server hands them over without waiting; the deadline's timer is
    only armed once a receive has to wait, with the deadline counted from the start, which answers the same as
    arming it first and costs a small request nothing."""
    declared = _content_length(scope)
    if declared is not None and declared > max_bytes:
        raise PayloadTooLarge(max_bytes)
    deadline = asyncio.get_running_loop().time() + timeout_seconds
    body = bytearray()
    try:
        received = _receive_without_waiting(receive)
        while not isinstance(received, _Waiting):
            if _complete(body, received, max_bytes):
                return bytes(body)
            received = _receive_without_waiting(receive)
        async with asyncio.timeout_at(deadline):
            message = await received
            while not _complete(body, message, max_bytes):
                message = await receive()
            return bytes(body)
    except _ClientGone:
        return None
    except TimeoutError:
        raise RequestTimeout(timeout_seconds) from None


class _ClientGone(Exception):
    """The client disconnected before its body was all sent."""


def _complete(body: bytearray, message: Message, max_bytes: int) -> bool:
    """Adds a received message's part to ``body``; whether the body is whole now."""
    if message["type"] == "http.disconnect":
        raise _ClientGone
    body.extend(message.get("body", b""))
    if len(body) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    return not message.get("more_body", False)


class _Waiting:
    """A receive that was started and has to wait: awaiting this goes on with it exactly where it stopped, as
    ``await receive()`` would have (what it waits on goes to the task, a cancellation comes back into it)."""

    __slots__ = ("_steps", "_waiting_on")

    def __init__(self, steps: Generator[Any, Any, Message], waiting_on: Any) -> None:
        self._steps = steps
        self._waiting_on = waiting_on

    def __await__(self) -> Generator[Any, Any, Message]:
        steps, waiting_on = self._steps, self._waiting_on
        while True:
            try:
                sent = yield waiting_on
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as error:
                try:
                    waiting_on = steps.throw(error)
                except StopIteration as done:
                    message: Message = done.value
                    return message
            else:
                try:
                    waiting_on = steps.send(sent)
                except StopIteration as done:
                    message = done.value
                    return message


def _receive_without_waiting(receive: Receive) -> Message | _Waiting:
    """The next message if the server has it at hand, else the started receive, to await."""
    steps = receive().__await__()
    try:
        waiting_on = steps.send(None)
    except StopIteration as done:
        message: Message = done.value
        return message
    return _Waiting(steps, waiting_on)


def _content_length(scope: AsgiScope) -> int | None:
    """The first ``Content-Length``, when a number. A plain loop over the raw headers (ASGI servers lower-case their
    names): every authenticated request asks."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value.decode("latin-1"))
            except ValueError:
                return None
    return None

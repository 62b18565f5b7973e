"""Reading a request body whole, and handing it on to the app after a middleware has read it."""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive
from starlette.types import Scope as AsgiScope

from storegraph.platform.errors import PayloadTooLarge, RequestTimeout


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body (the body-limit middleware, or the public-key one for the signed endpoints, bounds
    its size and time), or None when the client disconnected before sending all of it."""
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
    Either way what was read is dropped with the exception."""
    declared = _content_length(scope)
    if declared is not None and declared > max_bytes:
        raise PayloadTooLarge(max_bytes)
    body = bytearray()
    try:
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
    except TimeoutError:
        raise RequestTimeout(timeout_seconds) from None


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the buffered body, then waits for the disconnect as the server would."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


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

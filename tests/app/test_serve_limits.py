"""What `storegraph serve` has uvicorn enforce before the app sees a request: the request head's size (h11), the
keep-alive timeout and the concurrency limit, from the settings. The cap on the head is checked on a real uvicorn
server in this process, with the options `serve` passes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope
from typer.testing import CliRunner

from storegraph import cli
from storegraph.cli import REQUEST_LINE_BYTES, HttpChoice, server_options
from storegraph.settings import Settings

runner = CliRunner()
GUARD = 30


@pytest.fixture
def served(monkeypatch) -> list[dict[str, Any]]:
    """The keyword arguments of every uvicorn.run that `serve` makes (nothing is served)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli, "migrate", lambda: None)
    # serve sets EMBEDDED_WORKER for the app factory: put back what was there (nothing) after the test.
    monkeypatch.setenv("EMBEDDED_WORKER", "unset by the test")
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **kwargs: calls.append(kwargs))
    return calls


def test_serve_parses_with_h11_capping_the_request_head_and_passes_the_settings(served, monkeypatch):
    monkeypatch.setenv("MAX_HEADER_BYTES", "20000")
    monkeypatch.setenv("KEEP_ALIVE_SECONDS", "75")
    monkeypatch.setenv("LIMIT_CONCURRENCY", "500")

    assert runner.invoke(cli.app, ["serve"]).exit_code == 0

    assert served[0]["http"] == "h11"
    assert served[0]["h11_max_incomplete_event_size"] == 20000 + REQUEST_LINE_BYTES
    assert served[0]["timeout_keep_alive"] == 75
    assert served[0]["limit_concurrency"] == 500


def test_serve_can_parse_with_httptools_behind_a_proxy_that_caps_headers(served):
    assert runner.invoke(cli.app, ["serve", "--http", "httptools"]).exit_code == 0

    assert served[0]["http"] == "httptools"


async def _ok(scope: AsgiScope, _receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@contextlib.asynccontextmanager
async def running_server(settings: Settings) -> AsyncIterator[int]:
    """A uvicorn server in this process with `serve`'s options, on a free port (yielded). The socket listens before
    the server starts, so a client may connect at once: the kernel holds the connection until the server accepts."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    config = uvicorn.Config(_ok, lifespan="off", log_config=None, **server_options(settings, HttpChoice.h11))
    server = uvicorn.Server(config)
    # The test runner keeps its own signal handlers.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        listening.close()


def _exchange(port: int, head: list[bytes]) -> bytes:
    """Sends the request head in pieces, stopping if the server hangs up, and reads its answer. A blocking socket
    (run in a thread): the kernel still hands over an answer that came before the server's reset, which a stream
    that had read it eagerly would drop for the error."""
    with socket.create_connection(("127.0.0.1", port), timeout=GUARD) as connection:
        try:
            for piece in head:
                connection.sendall(piece)
        except ConnectionError:
            pass  # it answered and closed before the head was sent whole
        return connection.recv(4096)


async def test_a_request_head_over_the_cap_is_refused_by_the_server_before_the_app_sees_it():
    # A megabyte cannot arrive in one read of the socket, so the server sees the head grow past its cap unfinished.
    settings = Settings(max_header_bytes=8192)
    pieces = [b"GET / HTTP/1.1\r\nHost: storegraph.test\r\nX-Big: ", *([b"a" * 16_384] * 64), b"\r\n\r\n"]
    async with running_server(settings) as port:
        answer = await asyncio.to_thread(_exchange, port, pieces)

    assert answer.startswith(b"HTTP/1.1 400 ")


async def test_a_request_head_within_the_cap_is_served():
    settings = Settings(max_header_bytes=8192)
    async with running_server(settings) as port:
        answer = await asyncio.to_thread(
            _exchange, port, [b"GET / HTTP/1.1\r\nHost: storegraph.test\r\nConnection: close\r\n\r\n"]
        )

    assert answer.startswith(b"HTTP/1.1 200 ")

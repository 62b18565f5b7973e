"""A uvicorn server with `storegraph serve`'s options and one slow endpoint, run as its own process by
tests/app/test_graceful_shutdown.py: ``python -m tests.support.slow_server PORT SECONDS``.

``GET /slow`` prints ``started`` on stdout once it runs, then answers after SECONDS; the test sends SIGTERM in
between.
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from storegraph.cli import HttpChoice, server_options
from storegraph.settings import Settings


def slow_app(seconds: float) -> ASGIApp:
    async def app(scope: Scope, _receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        print("started", flush=True)
        await asyncio.sleep(seconds)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
        await send({"type": "http.response.body", "body": b"done"})

    return app


def main() -> None:
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    settings = Settings(shutdown_timeout_seconds=30)
    options = server_options(settings, HttpChoice.h11)
    uvicorn.run(slow_app(seconds), host="127.0.0.1", port=port, lifespan="off", log_config=None, **options)


if __name__ == "__main__":
    main()

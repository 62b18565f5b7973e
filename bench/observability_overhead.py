"""What the metrics and access-log middleware (storegraph/platform/observability/middleware.py) costs per request,
in process: a trivial ASGI endpoint called bare, then through the middleware with the access log off, with it on
but filtered out by the level (the default before logging is configured), and with it written as JSON to a null
stream (LOG_FORMAT=json, LOG_LEVEL=info).

    .venv/bin/python bench/observability_overhead.py [--requests 20000] [--rounds 5]

Figures: the median over rounds of the mean microseconds per request, and each one's overhead over the bare call.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import statistics
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storegraph.platform.observability.logs import JsonFormatter
from storegraph.platform.observability.metrics import AppMetrics
from storegraph.platform.observability.middleware import ObservabilityMiddleware

BODY = b'{"ok":true}'


async def endpoint(scope: Scope, _receive: Receive, send: Send) -> None:
    scope.setdefault("state", {})["route_template"] = "/v1/customers/{id}"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"11")]})
    await send({"type": "http.response.body", "body": BODY})


def route_of(scope: Scope) -> str:
    return str(scope["state"]["route_template"])


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(_message: Message) -> None:
    return None


async def per_request(app: ASGIApp, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        scope: Scope = {"type": "http", "method": "GET", "path": "/v1/customers/1", "state": {"request_id": "req_x"}}
        await app(scope, receive, send)
    return (time.perf_counter() - started) / count * 1e6


async def main(args: argparse.Namespace) -> None:
    access = logging.getLogger("storegraph.access")
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonFormatter())
    variants: dict[str, tuple[ASGIApp, int | None]] = {
        "bare endpoint": (endpoint, None),
        "metrics, access log off": (
            ObservabilityMiddleware(endpoint, metrics=AppMetrics(), route_of=route_of, access_log=False),
            None,
        ),
        "metrics, access log below level": (
            ObservabilityMiddleware(endpoint, metrics=AppMetrics(), route_of=route_of),
            logging.WARNING,
        ),
        "metrics, access log as JSON": (
            ObservabilityMiddleware(endpoint, metrics=AppMetrics(), route_of=route_of),
            logging.INFO,
        ),
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, (app, level) in variants.items():
            access.handlers = [handler] if level == logging.INFO else []
            access.propagate = level != logging.INFO
            access.setLevel(level or logging.WARNING)
            handler.stream = io.StringIO()
            await per_request(app, args.requests // 10)  # warm-up
            results[name].append(await per_request(app, args.requests))
    bare = statistics.median(results["bare endpoint"])
    print(f"{args.requests} requests x {args.rounds} rounds; median of the per-round means")
    for name, timings in results.items():
        median = statistics.median(timings)
        print(f"{name:34} {median:8.2f} µs/request   overhead {median - bare:6.2f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args()))

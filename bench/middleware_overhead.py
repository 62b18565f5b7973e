"""What the shared middleware stack costs per request: the same trivial endpoint called through the whole app
with its middleware and without it, in one run, in process (no HTTP server, so only the ASGI layers are timed).

    .venv/bin/python bench/middleware_overhead.py [--requests 3000] [--redis redis://127.0.0.1:6379/0]
                                                  [--loop asyncio|uvloop] [--access-log]

Variants, each against the bare app measured in the same run:
- ``stack (memory)``: request id, body limit, the signed-request check (which passes these requests by),
  authentication (the key lookup on SQLite, answered by the key cache after the first request), rate limit and
  quota with the per-endpoint usage counters, idempotency, with the embedded default's backends (limits decided in
  memory, their counts written to SQLite in the background; Idempotency-Key records in SQLite, two statements per
  keyed write);
- ``stack (redis)``: the same with the Redis backends (rate limit and usage counters, idempotency, key revocation
  feed);
- ``stack without auth``: the same two with authentication replaced by a fixed principal, to show what the limits
  and idempotency add on their own.
- ``stack (memory), access log`` (with ``--access-log``): the memory stack writing its access line as
  ``storegraph serve`` does by default (JSON at INFO), to ``os.devnull``; the other rows write none.
The plan has no limits, as the benchmark's. GET requests skip idempotency; POST requests to ``/v1`` carry a fresh
Idempotency-Key each, so each one reserves, runs and stores its response.

The event loop is asyncio's own by default; ``--loop uvloop`` runs on uvloop, which ``storegraph serve`` uses
(uvicorn picks it when installed, and it is).

Two times per request: until the response's last byte is handed to the server ("to response": what the client
waits for), and until the app returns ("whole call": also the work done after the response, which is the rate
limiter counting the request under its endpoint, one more round trip with Redis). Figures: median and p99
microseconds, and each median's overhead over the bare app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging.config
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

from fastapi import FastAPI
from redis.asyncio import Redis
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.migrate import upgrade_to_head
from db.queries.keys import create_api_key
from db.queries.stores import create_store
from db.session import create_engine, create_sessionmaker
from storegraph.app import create_app
from storegraph.platform.auth.bearer import AuthMiddleware
from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.platform.auth.principal import Principal
from storegraph.platform.auth.scopes import ALL_SCOPES
from storegraph.platform.limits.plans import Plan
from storegraph.platform.observability.logs import logging_config
from storegraph.routing import HotRoutes
from storegraph.settings import Settings

BODY = b'{"ok":true}'
UNLIMITED = Plan(requests_per_minute=None, requests_per_month=None, signups_per_month=None, webhooks_per_month=None)


class Endpoint:
    """The cheapest possible handler, as a plain ASGI app (Starlette routes a class instance as one)."""

    async def __call__(self, _scope: Scope, _receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": BODY})


class FixedPrincipal:
    """Stands in for authentication: the principal without the key lookup."""

    def __init__(self, app: ASGIApp, principal: Principal) -> None:
        self.app = app
        self.principal = principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})["principal"] = self.principal
        await self.app(scope, receive, send)


def build(settings: Settings, *, middleware: bool, principal: Principal | None = None) -> FastAPI:
    app = create_app(settings)
    # First, ahead of the /v1 prefix route (the REST layer's catch-all would answer 404 not_found for it).
    app.router.routes.insert(0, Route("/v1/_bench", Endpoint(), methods=["GET", "POST"]))
    # Without HotRoutes, which would hand /v1/_bench to the REST handler (404) past the router: the endpoint is
    # reached through the router with and without the middleware, so the difference is the middleware's alone.
    app.user_middleware = [entry for entry in app.user_middleware if getattr(entry, "cls", None) is not HotRoutes]
    if not middleware:
        app.user_middleware = []
    elif principal is not None:
        app.user_middleware = [
            Middleware(FixedPrincipal, principal=principal) if getattr(entry, "cls", None) is AuthMiddleware else entry
            for entry in app.user_middleware
        ]
    return app


def request(method: str, token: str) -> tuple[Scope, Callable[[], Awaitable[Message]]]:
    headers = [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json")]
    if method == "POST":
        headers.append((b"idempotency-key", uuid4().hex.encode()))
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/v1/_bench",
        "raw_path": b"/v1/_bench",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    body = b'{"name":"bench"}' if method == "POST" else b""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return scope, receive


async def time_requests(app: ASGIApp, method: str, token: str, count: int) -> tuple[list[float], list[float]]:
    """Per request, the seconds until the response was sent and until the app returned."""
    statuses: list[int] = []
    answered = 0.0

    async def send(message: Message) -> None:
        nonlocal answered
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            answered = time.perf_counter()

    to_response: list[float] = []
    whole: list[float] = []
    for _ in range(count):
        scope, receive = request(method, token)
        started = time.perf_counter()
        await app(scope, receive, send)
        ended = time.perf_counter()
        to_response.append(answered - started)
        whole.append(ended - started)
    if len(statuses) != count or any(status != 200 for status in statuses):
        raise RuntimeError(f"{method} answered {sorted(set(statuses))}: the benchmark would time errors")
    return to_response, whole


def summary(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered) * 1e6, ordered[int(len(ordered) * 0.99)] * 1e6


async def prepare(database_url: str) -> tuple[str, Principal]:
    engine = create_engine(database_url, pool_size=2)
    await upgrade_to_head(engine)
    async with create_sessionmaker(engine)() as session, session.begin():
        store = await create_store(session, name="Bench", plan="bench")
        key, token = await create_api_key(
            session, store_id=store.id, key_type=KeyType.PLATFORM, env=KeyEnv.LIVE, scopes=ALL_SCOPES, name="bench"
        )
        principal = Principal(
            key_pk=key.id,
            key_id=key.key_id,
            key_type=KeyType.PLATFORM,
            env=KeyEnv.LIVE,
            scopes=frozenset(ALL_SCOPES),
            store_id=store.id,
            store_name=store.name,
            plan="bench",
            phone_region="DZ",
        )
    await engine.dispose()
    return token, principal


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        token, principal = await prepare(database_url)
        common: dict[str, Any] = {"database_url": database_url, "plans": {"bench": UNLIMITED}}
        memory = Settings(**common, redis_url=None, cost_bucket_size=2**31 - 1, access_log=False)
        redis = Settings(**common, redis_url=args.redis, redis_prefix=f"bench:{uuid4().hex}:", access_log=False)
        variants = {
            "bare app (no middleware)": build(memory, middleware=False),
            "stack (memory)": build(memory, middleware=True),
            "stack (redis)": build(redis, middleware=True),
            "stack without auth (memory)": build(memory, middleware=True, principal=principal),
            "stack without auth (redis)": build(redis, middleware=True, principal=principal),
        }
        if args.access_log:
            logged = Settings(**common, redis_url=None, cost_bucket_size=2**31 - 1, access_log=True)
            variants["stack (memory), access log"] = build(logged, middleware=True)
            log_access_lines()
        async with contextlib.AsyncExitStack() as lifespans:
            for app in variants.values():
                await lifespans.enter_async_context(app.router.lifespan_context(app))
            await asyncio.sleep(0.5)  # lets the Redis variants subscribe to the key revocation feed
            try:
                await redis_round_trip(redis)
                await report(variants, token, args)
            finally:
                await _forget_redis_keys(redis)


def log_access_lines() -> None:
    """Logging as ``storegraph serve`` configures it (JSON lines at INFO), written to ``os.devnull``."""
    config = logging_config("json", "info")
    config["handlers"]["stderr"] = {"class": "logging.FileHandler", "formatter": "storegraph", "filename": os.devnull}
    logging.config.dictConfig(config)


async def redis_round_trip(settings: Settings, count: int = 1000) -> None:
    """One Redis round trip (PING) on this machine now: the Redis variants pay a few of them per request."""
    assert settings.redis_url is not None
    client = Redis.from_url(settings.redis_url)
    try:
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            await client.ping()
            timings.append(time.perf_counter() - started)
    finally:
        await client.aclose()
    median, p99 = summary(timings[count // 10 :])
    print(f"Redis round trip (PING): median {median:.1f} µs, p99 {p99:.1f} µs")


async def _forget_redis_keys(settings: Settings) -> None:
    """Deletes what this run wrote to Redis (its own prefix): idempotency records would stay a day otherwise."""
    if settings.redis_url is None:
        return
    client = Redis.from_url(settings.redis_url)
    try:
        keys = [key async for key in client.scan_iter(f"{settings.redis_prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
    finally:
        await client.aclose()


async def report(variants: dict[str, FastAPI], token: str, args: argparse.Namespace) -> None:
    print(f"{args.requests} sequential in-process requests per row, after {args.warmup} unmeasured ones\n")
    print(f"{'':39} {'---------- to response ----------':>34}   {'----- whole call -----':>22}")
    print(
        f"{'variant':32} {'method':6} {'median µs':>10} {'p99 µs':>10} {'overhead µs':>12}"
        f"   {'median µs':>10} {'overhead µs':>11}"
    )
    for method in ("GET", "POST"):
        bare: tuple[float, float] | None = None
        for name, app in variants.items():
            await time_requests(app, method, token, args.warmup)
            to_response, whole = await time_requests(app, method, token, args.requests)
            median, p99 = summary(to_response)
            whole_median, _ = summary(whole)
            bare = (median, whole_median) if bare is None else bare
            print(
                f"{name:32} {method:6} {median:10.1f} {p99:10.1f} {median - bare[0]:12.1f}"
                f"   {whole_median:10.1f} {whole_median - bare[1]:11.1f}"
            )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--access-log", action="store_true", help="add a row that writes the access line")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    print(f"event loop: {arguments.loop}")
    if arguments.loop == "uvloop":
        import uvloop

        uvloop.run(main(arguments))
    else:
        asyncio.run(main(arguments))
